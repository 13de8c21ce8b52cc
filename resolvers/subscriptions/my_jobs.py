from collections.abc import AsyncGenerator
from datetime import timedelta

import strawberry
from strawberry.types.nodes import SelectedField

from core.events import JobEvent
from db import jobs
from db.connection import utcnow
from resolvers.context import Info
from resolvers.permissions import IsAuthenticated
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
    #: the seq last sent per job: a repeated event (a worker re-announcing a state after a
    #: crash) or one already covered by a later read sends nothing
    sent: dict[str, int] = {}
    from_events = _answered_by_events(info)
    async with info.context.hub.subscribe_user(user.id) as inbox:
        in_step_at = utcnow()
        while True:
            item = await inbox.get()
            changed: list[Job]
            if isinstance(item, JobEvent):
                if item.user_id != user.id:
                    continue
                in_step_at = max(in_step_at, item.at)
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
                records = await jobs.jobs_changed_since(db, user.id, in_step_at - RESYNC_LOOKBACK)
                changed = [Job.from_record(record) for record in records]
                in_step_at = checked_at
            for job in changed:
                if job.seq > sent.get(job.id, -1):
                    sent[job.id] = job.seq
                    yield job
