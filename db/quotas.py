"""Counts behind the per-user job limits, read from the table so they hold across processes."""

from db.connection import Db
from db.jobs import COUNT_ACTIVE_JOBS


async def count_active_jobs(db: Db, user_id: str) -> int:
    """The user's PENDING and PROCESSING jobs."""
    count = await db.fetch_val(COUNT_ACTIVE_JOBS, {"user_id": user_id})
    return int(count or 0)
