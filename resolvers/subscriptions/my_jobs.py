from collections.abc import AsyncGenerator, Callable
from datetime import timedelta

import strawberry
from strawberry.types.nodes import SelectedField

from broker.fanout import Item
from core.events import JobEvent
from db import jobs
from db.connection import utcnow
from resolvers.context import Info
from resolvers.permissions import IsAuthenticated
from schema.express import CURRENT_LANE
from schema.types.job import FIELDS_IN_EVENTS, Job

#: how far before the last change this reader saw a resync looks again: changes reach the
#: hub out of their commit order by up to a publish's delay, and workers on other hosts
#: stamp them with their own clocks
RESYNC_LOOKBACK = timedelta(seconds=30)


def _answered_by_events(info: Info) -> bool:
    """Whether the subscriber selected only fields that every event carries.

    Such a subscriber is sent each event as it comes, with no read of the row; any
    other field (or a fragment, which this does not look into) costs a read per event.
    """
    [subscription] = info.selected_fields
    return all(
        isinstance(selection, SelectedField) and selection.name in FIELDS_IN_EVENTS
        for selection in subscription.selections
    )


@strawberry.subscription(
    permission_classes=[IsAuthenticated],
    description="the caller's jobs, each time one changes status",
)
async def my_jobs(info: Info) -> AsyncGenerator[Job, None]:
    user = info.context.require_user()
    db = info.context.db
    from_events = _answered_by_events(info)
    lane = CURRENT_LANE.get() if from_events else None
    if lane is not None:
        lane.to_root = Job.from_event
    async with info.context.hub.subscribe_user(user.id) as inbox:
        sent = _Sent(user.id, None if lane is None else lane.offer)
        if lane is not None:
            inbox.express = sent.next_now
        while True:
            item = await inbox.get()
            changed: list[Job]
            if isinstance(item, JobEvent):
                if item.user_id != user.id:
                    continue
                sent.in_step(item)
                if from_events:
                    changed = [Job.from_event(item)]
                else:
                    record = await jobs.get_job(db, item.job_id, user_id=user.id)
                    changed = [] if record is None else [Job.from_record(record)]
            else:
                # A Resync: this reader fell behind and its backlog was dropped, or the
                # broker connection was lost with whatever was published meanwhile. Every
                # job changed since the reader was last in step is read again.
                checked_at = utcnow()
                since = sent.in_step_at - RESYNC_LOOKBACK
                records = await jobs.jobs_changed_since(db, user.id, since)
                changed = [Job.from_record(record) for record in records]
                sent.in_step_at = checked_at
            for job in changed:
                if sent.is_new(job.id, job.seq):
                    yield job


class _Sent:
    """What a reader of ``myJobs`` was sent, and its short way (``schema.express``).

    A subscriber answered from the events is sent an event that brings news of a job
    straight from the hub's dispatch while it waits, as ``jobEvents`` is; one that needs
    the row, and every resync, take the loop in ``my_jobs``.
    """

    __slots__ = ("_express", "_user_id", "in_step_at", "seqs")

    def __init__(self, user_id: str, express: Callable[[JobEvent], bool] | None) -> None:
        self._user_id = user_id
        self._express = express
        #: the seq last sent per job: a repeated event (a worker re-announcing a state
        #: after a crash) or one already covered by a later read sends nothing
        self.seqs: dict[str, int] = {}
        #: when the reader last knew of every change: where a resync reads from
        self.in_step_at = utcnow()

    def in_step(self, event: JobEvent) -> None:
        self.in_step_at = max(self.in_step_at, event.at)

    def is_new(self, job_id: str, seq: int) -> bool:
        """Whether a job at ``seq`` is news to the reader; if so it counts as sent."""
        if seq <= self.seqs.get(job_id, -1):
            return False
        self.seqs[job_id] = seq
        return True

    def next_now(self, item: Item) -> bool:
        """Send ``item`` the short way if it is news of one of the reader's jobs."""
        if not (
            isinstance(item, JobEvent)
            and item.user_id == self._user_id
            and item.seq > self.seqs.get(item.job_id, -1)
            and self._express is not None
            and self._express(item)
        ):
            return False
        self.seqs[item.job_id] = item.seq
        self.in_step(item)
        return True
