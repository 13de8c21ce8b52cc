"""Flushes of jobs that come together share a statement; each job keeps its own result."""

import asyncio

import pytest

from core.jobs import JobStatus
from db import jobs
from db.connection import Db, utcnow
from db.jobs import TextFlush
from tests.db.tables import add_jobs, add_user
from worker.flushes import TextFlushes


def flush(job_id: str, delta: str, *, attempt: int = 0) -> TextFlush:
    return TextFlush(job_id, attempt=attempt, delta=delta, progress=0.5, lease_until=utcnow())


async def running_jobs(db: Db, count: int) -> list[str]:
    user = await add_user(db, "writer@example.com")
    await add_jobs(db, user, count, status="PROCESSING", tag="running")
    return [f"running-{i}" for i in range(1, count + 1)]


async def texts(db: Db, ids: list[str]) -> dict[str, tuple[str, int]]:
    found = {}
    for job_id in ids:
        job = await jobs.get_job(db, job_id)
        assert job is not None
        found[job_id] = (job.text, job.seq)
    return found


async def test_each_job_of_a_group_gets_its_own_text_and_seq(db: Db) -> None:
    ids = await running_jobs(db, 6)
    flushes = TextFlushes(db)

    for word in ("Dear ", "hiring ", "team"):
        results = await asyncio.gather(*(flushes.append(flush(j, f"{word}{j} ")) for j in ids))
        assert all(result is not None for result in results)

    assert await texts(db, ids) == {j: (f"Dear {j} hiring {j} team{j} ", 3) for j in ids}, (
        "every row updated once per flush: its text in order, its seq one per flush"
    )


async def test_a_job_cancelled_or_taken_over_is_fenced_out_alone(db: Db) -> None:
    cancelled, taken_over, running = await running_jobs(db, 3)
    assert await jobs.transition(db, cancelled, JobStatus.CANCELLED) is not None
    flushes = TextFlushes(db)

    results = await asyncio.gather(
        flushes.append(flush(cancelled, "late")),
        flushes.append(flush(taken_over, "late", attempt=7)),  # not the running attempt
        flushes.append(flush(running, "Dear")),
    )

    assert results[0] is None and results[1] is None
    assert results[2] is not None and results[2].seq == 1
    assert (await texts(db, [cancelled, taken_over, running])) == {
        cancelled: ("", 1),
        taken_over: ("", 0),
        running: ("Dear", 1),
    }


@pytest.mark.parametrize("stack", ["production"], indirect=True)
async def test_a_flush_postgresql_refuses_fails_its_own_job_and_no_other(db: Db) -> None:
    ids = await running_jobs(db, 4)
    flushes = TextFlushes(db)
    # PostgreSQL's text cannot hold a NUL character: this statement fails as a whole.
    bad = ids[1]

    results = await asyncio.gather(
        *(flushes.append(flush(j, "\x00" if j == bad else "Dear")) for j in ids),
        return_exceptions=True,
    )

    assert isinstance(results[1], Exception)
    assert [r.seq for i, r in enumerate(results) if i != 1] == [1, 1, 1]  # type: ignore[union-attr]
    assert (await texts(db, ids))[bad] == ("", 0)


@pytest.mark.parametrize("stack", ["production"], indirect=True)
async def test_flushes_that_come_together_share_one_statement(
    db: Db, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = await running_jobs(db, 5)
    statements: list[str] = []
    run = db._run

    async def counting(method: str, fallback: str, sql: str, values: object) -> object:
        statements.append(sql)
        return await run(method, fallback, sql, values)  # type: ignore[arg-type]

    monkeypatch.setattr(db, "_run", counting)
    flushes = TextFlushes(db)
    first = asyncio.create_task(flushes.append(flush(ids[0], "Dear")))
    await asyncio.sleep(0)  # the first flush is on its way alone
    rest = [flushes.append(flush(j, "Dear")) for j in ids[1:]]

    results = await asyncio.gather(first, *rest)

    assert all(result is not None for result in results)
    assert len(statements) == 2, "the lone first flush, then the four that came behind it"
