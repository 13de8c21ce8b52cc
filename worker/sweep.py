"""The outbox sweep: publish what the table says should be queued but may not be."""

import logging
from collections.abc import Iterable
from datetime import timedelta

from broker.base import Broker
from broker.outbox import enqueue
from core.outages import Outage
from core.settings import Settings
from db import jobs
from db.connection import Db, utcnow
from db.jobs import JobRecord
from db.rounds import every

log = logging.getLogger(__name__)


async def sweep_once(db: Db, broker: Broker, settings: Settings) -> int:
    """Publish a wake-up for every job that needs one; returns how many were confirmed."""
    cutoff = utcnow() - timedelta(seconds=settings.sweep_grace_seconds)
    published = await _publish_while_taken(
        db, broker, await jobs.jobs_needing_wakeup(db, older_than=cutoff)
    )
    if published:
        log.info("sweep: published %d job(s)", published)
    if settings.republish_after_seconds > 0:
        published += await republish_lost(db, broker, settings.republish_after_seconds)
    return published


async def republish_lost(db: Db, broker: Broker, after_seconds: float) -> int:
    """Publish again the jobs whose confirmed message is gone; returns how many.

    A confirmed message can still be lost: an operator purges the queue, a broker
    loses its disk. A job due that long ago and still PENDING while no message waits
    in the queue has none: workers take what is queued at once, and a retry's delayed
    message is back by its due time. Behind a backlog it may still be queued, so the
    check waits for an empty queue; a copy sent in error is harmless (a worker finds
    the job taken or finished and drops it).
    """
    waiting = await jobs.jobs_published_long_ago(
        db, before=utcnow() - timedelta(seconds=after_seconds)
    )
    if not waiting or (await broker.queue_depths()).get("jobs", 0) > 0:
        return 0
    published = await _publish_while_taken(db, broker, waiting)
    if published:
        log.warning(
            "sweep: %d job(s) PENDING for over %.0f s with no message queued: published again",
            published,
            after_seconds,
        )
    return published


async def run_sweeper(
    db: Db, broker: Broker, settings: Settings, *, outage: Outage | None = None
) -> None:
    await every(
        settings.sweep_interval_seconds,
        lambda: sweep_once(db, broker, settings),
        name="sweep",
        outage=outage,
    )


async def _publish_while_taken(db: Db, broker: Broker, waiting: Iterable[JobRecord]) -> int:
    """Publish each job's wake-up; how many the broker took before it went away, if it did
    (the rest wait for the next round)."""
    published = 0
    for job in waiting:
        if not await enqueue(db, broker, job, sweeping=True):
            break
        published += 1
    return published
