"""The hub dispatches by key, and a slow subscriber falls back to a snapshot."""

import asyncio
import contextlib
from datetime import UTC, datetime

from broker.base import Resync
from broker.fanout import Hub
from core.events import EventType, JobEvent
from core.jobs import JobStatus


def event(
    job_id: str, seq: int, type: EventType = EventType.DELTA, user_id: str = "u1"
) -> JobEvent:
    return JobEvent(
        job_id=job_id,
        user_id=user_id,
        seq=seq,
        type=type,
        status=JobStatus.PROCESSING,
        attempt=1,
        progress=0.1,
        at=datetime.now(UTC),
        delta="x",
    )


async def test_events_reach_only_the_subscribers_of_their_job() -> None:
    hub = Hub()
    async with hub.subscribe_job("a") as a, hub.subscribe_job("b") as b:
        hub.dispatch(event("a", 1))
        hub.dispatch(event("b", 7))
        first_a = await a.get()
        assert isinstance(first_a, JobEvent) and (first_a.job_id, first_a.seq) == ("a", 1)
        assert a.backlog == 0, "job a's subscriber got nothing of job b"
        first_b = await b.get()
        assert isinstance(first_b, JobEvent) and first_b.job_id == "b" and first_b.seq == 7
    assert hub.subscriber_count == 0


async def test_users_get_status_events_of_their_jobs_only() -> None:
    hub = Hub()
    async with hub.subscribe_user("u1") as mine, hub.subscribe_user("u2") as theirs:
        hub.dispatch(event("a", 1, EventType.DELTA))
        hub.dispatch(event("a", 2, EventType.STATUS))
        hub.dispatch(event("b", 1, EventType.STATUS, user_id="u2"))
        got = await mine.get()
        assert isinstance(got, JobEvent) and (got.job_id, got.seq) == ("a", 2)
        other = await theirs.get()
        assert isinstance(other, JobEvent) and other.user_id == "u2"


async def test_an_overflowing_inbox_collapses_into_one_resync() -> None:
    hub = Hub(queue_size=4)
    async with hub.subscribe_job("a") as inbox:
        for seq in range(1, 20):
            hub.dispatch(event("a", seq))
        items = [await inbox.get() for _ in range(inbox.backlog)]
    assert len(items) <= 4
    assert isinstance(items[0], Resync), "the dropped backlog is replaced by one resync"
    tail = [item.seq for item in items[1:] if isinstance(item, JobEvent)]
    assert tail == list(range(20 - len(tail), 20)), "events after the resync are kept in order"


async def test_a_resync_reaches_every_subscriber() -> None:
    hub = Hub()
    async with hub.subscribe_job("a") as a, hub.subscribe_user("u1") as u:
        hub.dispatch(Resync())
        assert isinstance(await a.get(), Resync)
        assert isinstance(await u.get(), Resync)


async def test_a_reader_cancelled_just_as_its_event_arrives_loses_nothing() -> None:
    hub = Hub()
    async with hub.subscribe_job("a") as inbox:
        reader = asyncio.create_task(inbox.get())
        await asyncio.sleep(0)  # the reader waits
        hub.dispatch(event("a", 1))
        reader.cancel()  # before it ran again to take the event
        with contextlib.suppress(asyncio.CancelledError):
            await reader

        taken = await asyncio.wait_for(inbox.get(), 1)

    assert reader.cancelled()
    assert isinstance(taken, JobEvent) and taken.seq == 1
