"""job_event_stream: snapshot first, then seq > S in order; gaps and resyncs re-read the row."""

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from broker.base import Resync
from broker.fanout import Subscription
from core.errors import NotFound
from core.events import EventType, JobEvent
from core.jobs import JobKind, JobStatus
from db.jobs import JobRecord
from resolvers.subscriptions.stream import job_event_stream

NOW = datetime.now(UTC)
ROW = JobRecord(
    id="j",
    user_id="u",
    kind=JobKind.COVER_LETTER,
    status=JobStatus.PROCESSING,
    tone="FORMAL",
    job_description="d",
    cv_text="c",
    company_name=None,
    applicant_name=None,
    partial_text="Dear",
    cover_letter=None,
    progress=0.1,
    seq=3,
    attempts=1,
    attempts_base=0,
    error=None,
    idempotency_key=None,
    available_at=NOW,
    lease_until=None,
    published_at=None,
    created_at=NOW,
    updated_at=NOW,
    completed_at=None,
)


def delta(seq: int, text: str) -> JobEvent:
    return JobEvent("j", "u", seq, EventType.DELTA, JobStatus.PROCESSING, 1, 0.5, NOW, delta=text)


def status(seq: int, to: JobStatus, text: str) -> JobEvent:
    return JobEvent("j", "u", seq, EventType.STATUS, to, 1, 1.0, NOW, text=text)


class Rows:
    """The rows the database returns, one per load()."""

    def __init__(self, *rows: JobRecord | None) -> None:
        self.rows = list(rows)
        self.loads = 0

    async def __call__(self) -> JobRecord | None:
        self.loads += 1
        return self.rows.pop(0)


async def collect(stream: AsyncIterator[JobEvent]) -> list[tuple[str, int, str | None]]:
    return [(e.type.value, e.seq, e.text if e.text is not None else e.delta) async for e in stream]


def inbox_with(*items: JobEvent | Resync) -> Subscription:
    inbox = Subscription(maxsize=100)
    for item in items:
        inbox.put(item)
    return inbox


async def test_snapshot_then_only_newer_events_in_order() -> None:
    inbox = inbox_with(
        delta(2, "old"),
        delta(3, " dup"),
        delta(4, " Sir"),
        status(5, JobStatus.COMPLETED, "Dear Sir"),
    )
    events = await collect(job_event_stream(inbox, Rows(ROW)))
    assert events == [("SNAPSHOT", 3, "Dear"), ("DELTA", 4, " Sir"), ("STATUS", 5, "Dear Sir")]


async def test_a_gap_sends_a_fresh_snapshot_from_the_row() -> None:
    later = dataclasses.replace(ROW, seq=6, partial_text="Dear Sir or")
    inbox = inbox_with(
        delta(5, " Sir"),
        delta(6, " or"),
        delta(7, " Madam"),
        status(8, JobStatus.COMPLETED, "Dear Sir or Madam"),
    )
    events = await collect(job_event_stream(inbox, Rows(ROW, later)))
    assert events == [
        ("SNAPSHOT", 3, "Dear"),
        ("SNAPSHOT", 6, "Dear Sir or"),
        ("DELTA", 7, " Madam"),
        ("STATUS", 8, "Dear Sir or Madam"),
    ]


async def test_a_status_after_a_gap_needs_no_re_read_it_carries_the_whole_text() -> None:
    # The worker streaming seq 4 died after its commit, before its publish; the next
    # worker's takeover starts from empty text, as a STATUS event (API.md).
    takeover = JobEvent("j", "u", 5, EventType.STATUS, JobStatus.PROCESSING, 2, 0.0, NOW, text="")
    rows = Rows(ROW)
    inbox = inbox_with(takeover, delta(6, "Dear"), status(7, JobStatus.COMPLETED, "Dear"))

    events = await collect(job_event_stream(inbox, rows))

    assert events == [
        ("SNAPSHOT", 3, "Dear"),
        ("STATUS", 5, ""),
        ("DELTA", 6, "Dear"),
        ("STATUS", 7, "Dear"),
    ]
    assert rows.loads == 1, "only the first snapshot read the row"


async def test_a_resync_re_reads_the_row_and_ends_on_a_terminal_one() -> None:
    done = dataclasses.replace(ROW, seq=9, status=JobStatus.COMPLETED, cover_letter="Dear all")
    events = await collect(job_event_stream(inbox_with(Resync()), Rows(ROW, done)))
    assert events == [("SNAPSHOT", 3, "Dear"), ("SNAPSHOT", 9, "Dear all")]


async def test_a_terminal_snapshot_ends_the_stream_at_once() -> None:
    done = dataclasses.replace(ROW, status=JobStatus.CANCELLED)
    rows = Rows(done)
    events = await collect(job_event_stream(inbox_with(delta(4, "late")), rows))
    assert events == [("SNAPSHOT", 3, "Dear")] and rows.loads == 1


async def test_a_deleted_job_ends_the_stream() -> None:
    events = await collect(job_event_stream(inbox_with(Resync()), Rows(ROW, None)))
    assert events == [("SNAPSHOT", 3, "Dear")]


async def test_a_job_gone_before_its_snapshot_is_not_found_not_an_empty_stream() -> None:
    with pytest.raises(NotFound):
        await collect(job_event_stream(inbox_with(), Rows(None)))


class ShortWay:
    """An express callback that takes what it is offered, unless told to decline."""

    def __init__(self, *, declines: bool = False) -> None:
        self.declines = declines
        self.sent: list[int] = []

    def __call__(self, event: JobEvent) -> bool:
        if self.declines:
            return False
        self.sent.append(event.seq)
        return True


async def waiting_after_snapshot(
    stream: AsyncIterator[JobEvent],
) -> "asyncio.Future[JobEvent]":
    """Take the stream's SNAPSHOT, then leave it waiting on its inbox: its next event."""
    first = await anext(stream)
    assert (first.type, first.seq) == (EventType.SNAPSHOT, ROW.seq)
    return await waiting_for_next(stream)


async def waiting_for_next(stream: AsyncIterator[JobEvent]) -> "asyncio.Future[JobEvent]":
    waiting = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0)  # the stream reaches inbox.get() and waits there
    assert not waiting.done()
    return waiting


async def test_while_waiting_the_next_events_go_the_short_way_and_the_terminal_one_the_long() -> (
    None
):
    inbox = Subscription(maxsize=100)
    short = ShortWay()
    stream = job_event_stream(inbox, Rows(ROW), short)
    waiting = await waiting_after_snapshot(stream)

    inbox.put(delta(4, " Sir"))
    inbox.put(delta(5, " or"))
    inbox.put(delta(5, " or"))  # a repeat: the stream, not the short way, drops it
    inbox.put(status(6, JobStatus.COMPLETED, "Dear Sir or"))

    assert short.sent == [4, 5] and inbox.expressed == 2
    final = await waiting
    assert (final.seq, final.status) == (6, JobStatus.COMPLETED)
    assert await collect(stream) == [], "the stream ended after the terminal status"
    assert inbox.express is None


async def test_a_gap_takes_the_long_way_and_the_short_way_resumes_after_the_snapshot() -> None:
    inbox = Subscription(maxsize=100)
    short = ShortWay()
    later = dataclasses.replace(ROW, seq=6, partial_text="Dear Sir or")
    stream = job_event_stream(inbox, Rows(ROW, later), short)
    waiting = await waiting_after_snapshot(stream)

    inbox.put(delta(5, " or"))  # seq 4 was lost
    snapshot = await waiting
    assert (snapshot.type, snapshot.seq, snapshot.text) == (EventType.SNAPSHOT, 6, "Dear Sir or")
    assert short.sent == []

    waiting = await waiting_for_next(stream)
    inbox.put(delta(7, " Madam"))
    assert short.sent == [7]
    inbox.put(status(8, JobStatus.FAILED, "Dear Sir or Madam"))
    assert (await waiting).seq == 8


async def test_an_event_the_short_way_declines_is_yielded_in_its_place() -> None:
    inbox = Subscription(maxsize=100)
    stream = job_event_stream(inbox, Rows(ROW), ShortWay(declines=True))
    waiting = await waiting_after_snapshot(stream)

    inbox.put(delta(4, " Sir"))
    inbox.put(delta(5, " or"))  # queued behind the first: the reader is busy with it

    assert [(await waiting).seq, (await anext(stream)).seq] == [4, 5]
    assert inbox.expressed == 0


async def test_a_short_way_that_fails_is_dropped_and_the_event_goes_the_long_way() -> None:
    def broken(event: JobEvent) -> bool:
        raise RuntimeError("boom")

    inbox = Subscription(maxsize=100)
    stream = job_event_stream(inbox, Rows(ROW), broken)
    waiting = await waiting_after_snapshot(stream)

    inbox.put(delta(4, " Sir"))

    assert (await waiting).seq == 4
    assert inbox.express is None and inbox.expressed == 0
