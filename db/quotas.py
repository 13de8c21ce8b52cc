"""Counts behind the per-user job limits, read from the table so they hold across processes."""

from core.jobs import JobStatus
from db.connection import Db
from db.jobs import JobRecord

ACTIVE = (JobStatus.PENDING.value, JobStatus.PROCESSING.value)


async def count_active_jobs(db: Db, user_id: str) -> int:
    """The user's PENDING and PROCESSING jobs."""
    count = await db.fetch_val(
        "SELECT COUNT(*) FROM jobs WHERE user_id = :user_id AND status IN (:pending, :processing)",
        {"user_id": user_id, "pending": ACTIVE[0], "processing": ACTIVE[1]},
    )
    return int(count or 0)


async def job_with_idempotency_key(db: Db, user_id: str, key: str) -> JobRecord | None:
    """The job a repeated key names (a retry of the same request costs no new quota)."""
    record = await db.fetch_one(
        "SELECT * FROM jobs WHERE user_id = :user_id AND idempotency_key = :key",
        {"user_id": user_id, "key": key},
    )
    return None if record is None else JobRecord.from_record(record)
