"""The outbox sweep: publish what the table says should be queued but may not be."""

import logging
from datetime import timedelta

from broker.base import Broker
from broker.outbox import enqueue
from core.settings import Settings
from db import jobs
from db.connection import Db, utcnow
from db.rounds import every

log = logging.getLogger(__name__)


async def sweep_once(db: Db, broker: Broker, settings: Settings) -> int:
    """Publish a wake-up for every job that needs one; returns how many were confirmed."""
    cutoff = utcnow() - timedelta(seconds=settings.sweep_grace_seconds)
    published = 0
    for job in await jobs.jobs_needing_wakeup(db, older_than=cutoff):
        if not await enqueue(db, broker, job):
            break  # the broker is away: try again next round
        published += 1
    if published:
        log.info("sweep: published %d job(s)", published)
    return published


async def run_sweeper(db: Db, broker: Broker, settings: Settings) -> None:
    await every(
        settings.sweep_interval_seconds, lambda: sweep_once(db, broker, settings), name="sweep"
    )
