"""Retention: finished jobs (their CVs and letters) are deleted once they are old enough."""

import logging
from datetime import timedelta

from core.outages import Outage
from core.settings import Settings
from db import erasure
from db.connection import Db, utcnow
from db.rounds import every

log = logging.getLogger(__name__)


async def purge_once(db: Db, settings: Settings) -> int:
    """Delete finished jobs older than the retention; returns how many."""
    cutoff = utcnow() - timedelta(days=settings.retention_days)
    purged = await erasure.purge_finished_jobs(db, older_than=cutoff)
    if purged:
        log.info(
            "purge: deleted %d finished job(s) older than %s days", purged, settings.retention_days
        )
    return purged


async def run_purger(db: Db, settings: Settings, *, outage: Outage | None = None) -> None:
    """Purge every ``purge_interval_seconds``; every worker may run it, deletes are idempotent."""
    await every(
        settings.purge_interval_seconds,
        lambda: purge_once(db, settings),
        name="purge",
        outage=outage,
    )
