"""Workers that say they are alive: a row each, ``seen_at`` written every few seconds.

A redelivered job message means only that its consumer's connection to RabbitMQ closed:
the worker may have died, or its connection dropped for a moment while it went on
writing. Its row tells the two apart (``db.jobs.claim``).
"""

from datetime import datetime, timedelta

from db.connection import Db, utcnow

#: how often a worker writes that it is alive
PRESENCE_EVERY_SECONDS = 2.0
#: a worker not seen for this long is taken for gone: three writes missed
SILENT_AFTER_SECONDS = 3 * PRESENCE_EVERY_SECONDS
#: rows of workers gone this long are deleted (by the workers still here)
FORGET_AFTER = timedelta(days=1)


async def seen(db: Db, worker_id: str) -> None:
    """``worker_id`` is alive now."""
    await db.execute(
        "INSERT INTO workers (id, seen_at) VALUES (:id, :now)"
        " ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at",
        {"id": worker_id, "now": db.time(utcnow())},
    )


async def gone(db: Db, worker_id: str) -> None:
    """``worker_id`` stops: what it hands back may be taken over at once."""
    await db.execute("DELETE FROM workers WHERE id = :id", {"id": worker_id})


async def forget_long_gone(db: Db) -> None:
    """Delete the rows of workers killed long ago (a stopping worker deletes its own)."""
    await db.execute(
        "DELETE FROM workers WHERE seen_at < :before", {"before": db.time(utcnow() - FORGET_AFTER)}
    )


def silent_since() -> datetime:
    """A worker last seen before this is taken for gone."""
    return utcnow() - timedelta(seconds=SILENT_AFTER_SECONDS)
