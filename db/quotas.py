"""Counts behind the per-user job limits, read from the table so they hold across processes."""

from db.connection import Db
from db.jobs import COUNT_ACTIVE_JOBS, JobRecord


async def count_active_jobs(db: Db, user_id: str) -> int:
    """The user's PENDING and PROCESSING jobs."""
    count = await db.fetch_val(COUNT_ACTIVE_JOBS, {"user_id": user_id})
    return int(count or 0)


async def job_with_idempotency_key(db: Db, user_id: str, key: str) -> JobRecord | None:
    """The job a repeated key names (a retry of the same request costs no new quota)."""
    record = await db.fetch_one(
        "SELECT * FROM jobs WHERE user_id = :user_id AND idempotency_key = :key",
        {"user_id": user_id, "key": key},
    )
    return None if record is None else JobRecord.from_record(record)
