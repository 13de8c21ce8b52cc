"""Snapshot, then deltas, no gaps: the merge of a job's row and its live events."""

from collections.abc import AsyncIterator, Awaitable, Callable

from broker.base import Resync
from broker.fanout import Item, Subscription
from core.errors import NotFound
from core.events import EventType, JobEvent
from core.jobs import TERMINAL
from db.jobs import JobRecord

LoadJob = Callable[[], Awaitable[JobRecord | None]]
#: sends an event to the subscriber at once, past this stream; False if it could not
Express = Callable[[JobEvent], bool]


async def job_event_stream(
    inbox: Subscription, load: LoadJob, express: Express | None = None
) -> AsyncIterator[JobEvent]:
    """Yield a SNAPSHOT of the row, then live events with ``seq`` above it, in order.

    ``inbox`` must already be registered, so nothing committed after the read is
    missed. A gap in ``seq`` or a ``Resync`` means events were lost: re-read the
    row and send a fresh SNAPSHOT. Except when the event after the gap is a STATUS
    with its text: it replaces the client's buffer as a SNAPSHOT would, and API.md
    promises that a takeover starts with that STATUS (a worker killed between a
    flush's commit and its publish leaves exactly this gap). Ends after a terminal
    status, or when the job is gone (a job absent at the first read is NOT_FOUND).

    With ``express``, an event that comes next while this stream waits is sent from the
    hub's dispatch (``schema.express``) and never yielded here; anything to decide about
    (a gap, a resync, the terminal status) still comes through the loop below.
    """
    record = await load()
    if record is None:
        raise NotFound("Job not found.")  # absent, another user's, or deleted just now
    yield record.to_event(EventType.SNAPSHOT)
    if record.status in TERMINAL:
        return
    sent = _Sent(record.seq, express)
    if express is not None:
        inbox.express = sent.next_now
    try:
        while True:
            item = await inbox.get()
            if isinstance(item, JobEvent) and (
                item.seq == sent.seq + 1
                or (item.seq > sent.seq and item.type is EventType.STATUS and item.text is not None)
            ):
                yield item
                sent.seq = item.seq
                if item.is_terminal_status:
                    return
                continue
            if isinstance(item, JobEvent) and item.seq <= sent.seq:
                continue  # already covered by the snapshot
            if not isinstance(item, (JobEvent, Resync)):
                continue
            record = await load()
            if record is None:
                return
            if record.seq > sent.seq:
                yield record.to_event(EventType.SNAPSHOT)
                sent.seq = record.seq
            if record.status in TERMINAL:
                return
    finally:
        inbox.express = None


class _Sent:
    """How far a stream's subscriber has been sent, and its short way to the next event.

    A small object rather than a closure over the stream's locals: every open
    subscription keeps one.
    """

    __slots__ = ("_express", "seq")

    def __init__(self, seq: int, express: Express | None) -> None:
        self.seq = seq
        self._express = express

    def next_now(self, item: Item) -> bool:
        """Send ``item`` the short way if it comes next and ends nothing; whether it went."""
        if (
            isinstance(item, JobEvent)
            and item.seq == self.seq + 1
            and not item.is_terminal_status
            and self._express is not None
            and self._express(item)
        ):
            self.seq = item.seq
            return True
        return False
