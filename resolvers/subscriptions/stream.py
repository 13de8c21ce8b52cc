"""Snapshot, then deltas, no gaps: the merge of a job's row and its live events."""

from collections.abc import AsyncIterator, Awaitable, Callable

from broker.base import Resync
from broker.fanout import Subscription
from core.events import EventType, JobEvent
from core.jobs import TERMINAL
from db.jobs import JobRecord

LoadJob = Callable[[], Awaitable[JobRecord | None]]


async def job_event_stream(inbox: Subscription, load: LoadJob) -> AsyncIterator[JobEvent]:
    """Yield a SNAPSHOT of the row, then live events with ``seq`` above it, in order.

    ``inbox`` must already be registered, so nothing committed after the read is
    missed. A gap in ``seq`` or a ``Resync`` means events were lost: re-read the
    row and send a fresh SNAPSHOT. Except when the event after the gap is a STATUS
    with its text: it replaces the client's buffer as a SNAPSHOT would, and API.md
    promises that a takeover starts with that STATUS (a worker killed between a
    flush's commit and its publish leaves exactly this gap). Ends after a terminal
    status, or when the job is gone.
    """
    record = await load()
    if record is None:
        return
    yield record.to_event(EventType.SNAPSHOT)
    seen = record.seq
    if record.status in TERMINAL:
        return
    while True:
        item = await inbox.get()
        if isinstance(item, JobEvent) and (
            item.seq == seen + 1
            or (item.seq > seen and item.type is EventType.STATUS and item.text is not None)
        ):
            yield item
            seen = item.seq
            if item.is_terminal_status:
                return
            continue
        if isinstance(item, JobEvent) and item.seq <= seen:
            continue  # already covered by the snapshot
        if not isinstance(item, (JobEvent, Resync)):
            continue
        record = await load()
        if record is None:
            return
        if record.seq > seen:
            yield record.to_event(EventType.SNAPSHOT)
            seen = record.seq
        if record.status in TERMINAL:
            return
