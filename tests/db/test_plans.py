"""Every statement that names a job by its id finds it through the primary key.

A table of mostly finished letters gives PostgreSQL statistics in which no job runs. Asked
for ``id = … AND status = 'PROCESSING'``, it then chose the index on ``status`` and
walked every running job's entry to find the one it wanted: the cost of each flush, claim
and completion grew with the number of jobs running. With no statistics yet (a new
deployment), a job named with its owner was looked for through the owner's whole history.
"""

from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import Any

import pytest

from broker.base import Delivery, JobMessage, Outcome
from broker.memory import MemoryBroker
from core.jobs import JobKind, JobStatus
from core.settings import Settings
from db import erasure, jobs
from db.connection import Db, utcnow
from tests.db.tables import add_jobs, add_user, plan
from worker.consumer import Worker
from worker.deps import WorkerDeps
from worker.handlers import HANDLERS
from worker.writers.offline import OfflineWriter

FINISHED = 2000
RUNNING = 200

Statement = tuple[str, Mapping[str, Any]]


@pytest.fixture
def statements(db: Db, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Statement]]:
    """What ``db`` is asked to run from now on, as SQL text and values."""
    seen: list[Statement] = []
    run = db._run

    async def recording(method: str, fallback: str, sql: str, values: Any) -> Any:
        seen.append((sql, dict(values or {})))
        return await run(method, fallback, sql, values)

    monkeypatch.setattr(db, "_run", recording)
    yield seen


@pytest.fixture(params=["none", "of finished letters"])
def statistics(request: pytest.FixtureRequest) -> str:
    """What PostgreSQL knows of the table: nothing yet (a new deployment), or its history."""
    return str(request.param)


async def _busy_table(db: Db, statistics: str) -> str:
    """Thousands of finished letters; then hundreds of jobs waiting and running."""
    user = await add_user(db, "busy@example.com")
    await add_jobs(db, user, FINISHED, status="COMPLETED", tag="done")
    if statistics != "none":
        await db.execute("ANALYZE")
    await add_jobs(db, user, RUNNING, status="PROCESSING", tag="running")
    await add_jobs(db, user, RUNNING, status="PENDING", tag="waiting")
    return user


def _by_id(statements: list[Statement]) -> list[Statement]:
    found = [(sql, values) for sql, values in statements if "WHERE id = :id" in sql]
    assert found, "no statement named a job by id"
    return found


async def _plans(db: Db, sql: str, values: Mapping[str, Any]) -> list[str]:
    """The backend's plan; on PostgreSQL both the custom and the generic one.

    A pooled connection plans a prepared statement's first runs with their values, then
    may keep a generic plan made without them.
    """
    if db.dialect == "sqlite":
        return [await plan(db, sql, values)]
    plans = []
    for mode in ("force_custom_plan", "force_generic_plan"):
        async with Db(db.url, pool_size=1) as one_connection:
            await one_connection.execute(f"SET plan_cache_mode = {mode}")
            plans.append(await plan(one_connection, sql, values))
    return plans


def _through_primary_key(db: Db, query_plan: str) -> bool:
    if db.dialect == "sqlite":
        return "USING INDEX sqlite_autoindex_jobs_1 (id=?)" in query_plan
    return "using jobs_pkey" in query_plan and "jobs_status_available" not in query_plan


async def _assert_through_primary_key(db: Db, statements: list[Statement]) -> None:
    for sql, values in statements:
        for query_plan in await _plans(db, sql, values):
            assert _through_primary_key(db, query_plan), f"{sql}\n{query_plan}"


async def test_a_job_run_by_the_worker_is_found_by_its_id(
    db: Db, settings: Settings, statistics: str, statements: list[Statement]
) -> None:
    await _busy_table(db, statistics)
    deps = WorkerDeps(db=db, broker=MemoryBroker(), writer=OfflineWriter(), settings=settings)
    worker = Worker(deps, HANDLERS)

    message = JobMessage("waiting-7", JobKind.COVER_LETTER)
    assert await worker.handle(Delivery(message.to_json())) is Outcome.ACK

    done = await jobs.get_job(db, "waiting-7")
    assert done is not None and done.status is JobStatus.COMPLETED
    await _assert_through_primary_key(db, _by_id(statements))


async def test_a_running_job_is_read_fenced_cancelled_and_deleted_by_its_id(
    db: Db, statistics: str, statements: list[Statement]
) -> None:
    user = await _busy_table(db, statistics)
    running = "running-7"

    assert await jobs.get_job(db, running, user_id=user) is not None
    await jobs.mark_published(db, running)
    assert await jobs.owns_attempt(db, running, attempt=0)
    assert await jobs.renew_lease(db, running, attempt=0, lease_until=utcnow())
    flushed = await jobs.append_text(
        db, jobs.TextFlush(running, attempt=0, delta="Dear", progress=0.1, lease_until=utcnow())
    )
    assert flushed is not None
    cancelled = await jobs.transition(db, running, JobStatus.CANCELLED, user_id=user)
    assert cancelled is not None and cancelled.text == "Dear"
    assert await jobs.delete_job(db, running, user_id=user)
    await _assert_through_primary_key(db, _by_id(statements))


async def test_flushes_of_several_running_jobs_find_each_by_its_id(
    db: Db, statistics: str, statements: list[Statement]
) -> None:
    await _busy_table(db, statistics)
    group = [
        jobs.TextFlush(f"running-{i}", attempt=0, delta="Dear", progress=0.1, lease_until=utcnow())
        for i in (3, 5, 7)
    ]
    del statements[:]  # those that filled the table

    flushed = await jobs.append_texts(db, group)

    assert all(one is not None for one in flushed)
    if db.dialect == "sqlite":  # one statement per flush there
        await _assert_through_primary_key(db, _by_id(statements))
        return
    [(sql, values)] = statements
    for query_plan in await _plans(db, sql, values):
        assert _through_primary_key(db, query_plan), f"{sql}\n{query_plan}"


async def test_a_polling_read_finds_the_job_by_its_id(
    db: Db, statistics: str, statements: list[Statement]
) -> None:
    user = await _busy_table(db, statistics)

    exists, job = await jobs.get_job_of_user(db, "running-7", user)

    assert exists and job is not None and job.status is JobStatus.PROCESSING
    await _assert_through_primary_key(db, statements[-1:])


def _reads_only_old_entries(query_plan: str) -> bool:
    conditions = [line for line in query_plan.splitlines() if "Index Cond:" in line]
    return "Seq Scan" not in query_plan and any("available_at <" in c for c in conditions)


async def test_the_retention_purge_reads_only_jobs_old_enough(
    db: Db, statistics: str, statements: list[Statement]
) -> None:
    if db.dialect == "sqlite":
        pytest.skip("SQLite, the embedded default, may scan: its database is one machine's")
    await _busy_table(db, statistics)

    purged = await erasure.purge_finished_jobs(db, older_than=utcnow() - timedelta(days=30))

    assert purged == 0
    (sql, values) = statements[-1]
    for query_plan in await _plans(db, sql, values):
        assert _reads_only_old_entries(query_plan), f"{sql}\n{query_plan}"


async def test_the_check_for_lost_messages_reads_only_pending_jobs_due_long_ago(
    db: Db, statistics: str, statements: list[Statement]
) -> None:
    if db.dialect == "sqlite":
        pytest.skip("SQLite, the embedded default, may scan: its database is one machine's")
    await _busy_table(db, statistics)

    await jobs.jobs_published_long_ago(db, before=utcnow() - timedelta(minutes=2))

    (sql, values) = statements[-1]
    for query_plan in await _plans(db, sql, values):
        # Either index leaves the finished letters out: the one of unfinished jobs holds
        # none, the one on (status, available_at) reads only PENDING jobs due long ago.
        assert "Seq Scan" not in query_plan, f"{sql}\n{query_plan}"
        assert "jobs_user_active" in query_plan or _reads_only_old_entries(query_plan), (
            f"{sql}\n{query_plan}"
        )
