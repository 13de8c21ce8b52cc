"""Erasing personal data: a whole account, and finished jobs past their retention."""

from datetime import datetime

from core.jobs import TERMINAL
from db.connection import Db
from db.jobs import ACTIVE_PREDICATE, status_in


async def active_job_ids(db: Db, user_id: str) -> list[str]:
    records = await db.fetch_all(
        f"SELECT id FROM jobs WHERE user_id = :user_id AND {ACTIVE_PREDICATE}", {"user_id": user_id}
    )
    return [record["id"] for record in records]


async def delete_user_and_jobs(db: Db, user_id: str) -> bool:
    """Delete every job of the user, then the user; False when there was no such user.

    Jobs are deleted explicitly: SQLite does not enforce ON DELETE CASCADE
    unless told to. They are deleted again afterwards, in case a request that
    authenticated just before added one in between.
    """
    values = {"user_id": user_id}
    await db.execute("DELETE FROM jobs WHERE user_id = :user_id", values)
    deleted = await db.fetch_one("DELETE FROM users WHERE id = :user_id RETURNING id", values)
    await db.execute("DELETE FROM jobs WHERE user_id = :user_id", values)
    return deleted is not None


async def purge_finished_jobs(db: Db, *, older_than: datetime, batch: int = 500) -> int:
    """Delete COMPLETED, FAILED and CANCELLED jobs last changed before ``older_than``.

    A job cancelled while it waited for a retry goes up to that retry's delay later.
    """
    purged = 0
    while True:
        # Batches keep each statement (and its lock) short on a large table. A job becomes
        # available before it changes, except one cancelled while it waited for a retry (by
        # at most a retry's delay): bounded by ``available_at`` too, the statement reads only
        # old entries of ``jobs_status_available``, not every finished job, once an hour.
        #
        # The outer conditions repeat the inner ones: PostgreSQL re-checks a row a
        # concurrent commit changed against the DELETE's own conditions, not the
        # sub-select's, so without them a job its owner retried (PENDING again) as the
        # batch was chosen was deleted after retryJob had answered that it would run.
        finished_long_ago = f"{status_in(TERMINAL)} AND updated_at < :older_than"
        records = await db.fetch_all(
            "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs"
            f" WHERE {finished_long_ago} AND available_at < :older_than LIMIT :batch)"
            f" AND {finished_long_ago} RETURNING id",
            {"older_than": db.time(older_than), "batch": batch},
        )
        purged += len(records)
        if len(records) < batch:
            return purged
