"""Which claims take a PROCESSING job over: its lease ran out, or its worker went quiet."""

from datetime import timedelta

from core.jobs import JobKind, JobStatus
from db import jobs, workers
from db.connection import Db, utcnow
from tests.db.tables import add_user

LONG_LEASE = timedelta(minutes=5)


async def running_job(db: Db, holder: str) -> str:
    owner = await add_user(db, f"{holder}@example.com")
    new = jobs.NewJob(owner, JobKind.COVER_LETTER, "FORMAL", "jd", "cv", None, None, None)
    placed = await jobs.insert_job(db, new)
    assert placed is not None
    await workers.seen(db, holder)
    claimed = await claim(db, placed[0].id, holder, takeover=False)
    assert claimed is not None and claimed.attempts == 1
    return claimed.id


async def claim(db: Db, job_id: str, worker: str, *, takeover: bool) -> jobs.JobRecord | None:
    return await jobs.claim(
        db,
        job_id,
        worker_id=worker,
        takeover=takeover,
        lease_until=utcnow() + LONG_LEASE,
        max_attempts=5,
    )


async def test_a_redelivered_message_leaves_the_job_of_a_worker_that_is_alive(db: Db) -> None:
    # Its connection to RabbitMQ dropped; it writes on.
    job_id = await running_job(db, "alive")

    assert await claim(db, job_id, "other", takeover=True) is None


async def test_a_redelivered_message_takes_over_the_job_of_a_worker_gone_quiet(db: Db) -> None:
    job_id = await running_job(db, "killed")
    quiet = utcnow() - timedelta(seconds=workers.SILENT_AFTER_SECONDS + 1)
    await db.execute("UPDATE workers SET seen_at = :at WHERE id = 'killed'", {"at": db.time(quiet)})

    taken = await claim(db, job_id, "other", takeover=True)

    assert taken is not None and taken.attempts == 2


async def test_a_worker_that_stopped_has_its_jobs_taken_over_at_once(db: Db) -> None:
    job_id = await running_job(db, "stopping")
    await workers.gone(db, "stopping")  # it hands its jobs back as it stops

    taken = await claim(db, job_id, "other", takeover=True)

    assert taken is not None and taken.attempts == 2


async def test_a_message_that_is_not_redelivered_waits_for_the_lease_even_of_a_quiet_worker(
    db: Db,
) -> None:
    job_id = await running_job(db, "frozen")
    await workers.gone(db, "frozen")

    assert await claim(db, job_id, "other", takeover=False) is None


async def test_an_attempt_started_over_after_an_outage_spends_none_of_the_budget(db: Db) -> None:
    job_id = await running_job(db, "writer")
    flush = jobs.TextFlush(job_id, 1, "Dear team, ", 0.1, utcnow() + LONG_LEASE)
    assert await jobs.append_text(db, flush) is not None

    restarted = await jobs.restart(
        db, job_id, attempt=1, worker_id="writer", lease_until=utcnow() + LONG_LEASE
    )

    assert restarted is not None
    assert (restarted.attempts, restarted.attempts - restarted.attempts_base) == (2, 1)
    assert restarted.partial_text == "" and restarted.status is JobStatus.PROCESSING
    # what the first try sent and the database commits late is fenced out
    assert await jobs.append_text(db, flush) is None


async def test_only_its_own_worker_starts_a_running_attempt_over(db: Db) -> None:
    job_id = await running_job(db, "writer")
    lease = utcnow() + LONG_LEASE

    assert await jobs.restart(db, job_id, attempt=1, worker_id="other", lease_until=lease) is None
    assert await jobs.restart(db, job_id, attempt=2, worker_id="writer", lease_until=lease) is None
    await jobs.transition(db, job_id, JobStatus.CANCELLED)
    assert await jobs.restart(db, job_id, attempt=1, worker_id="writer", lease_until=lease) is None
