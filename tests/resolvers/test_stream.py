"""job_event_stream: snapshot first, then seq > S in order; gaps and resyncs re-read the row."""

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from broker.base import Resync
from broker.fanout import Subscription
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
    assert await collect(job_event_stream(inbox_with(), Rows(None))) == []
