"""Subscribers of a job whose events were lost: found from the job's row, and resynced.

The hub resyncs every subscriber when its own broker connection comes back, but an event
can also be lost on the way from a worker (a worker's connection that broke just as it
published, after its job's message was acked). Nothing else would ever arrive for such a
job, and its jobEvents subscribers would wait forever for the end the row already shows.
"""

import asyncio
import logging
import time

from broker.fanout import Hub
from db import jobs
from db.connection import DatabaseUnavailable, Db

log = logging.getLogger(__name__)

#: jobs per statement
CHUNK = 500


async def check_quiet_jobs(hub: Hub, db: Db, quiet_for: float) -> int:
    """Resync the subscribers of every job quiet for ``quiet_for`` seconds whose row moved
    past what they were sent (or that is gone); returns how many jobs that was."""
    quiet = hub.quiet_jobs(quiet_for)
    job_ids = list(quiet)
    resynced = 0
    for start in range(0, len(job_ids), CHUNK):
        chunk = job_ids[start : start + CHUNK]
        seqs = await jobs.seqs_of(db, chunk)
        for job_id in chunk:
            watch, seq = quiet[job_id], seqs.get(job_id)
            watch.heard = time.monotonic()
            if seq is None or (watch.seq is not None and seq > watch.seq):
                hub.resync_job(job_id)
                resynced += 1
    if resynced:
        log.warning("%d watched job(s) changed without an event reaching us: resynced", resynced)
    return resynced


async def run_quiet_job_checks(hub: Hub, db: Db, quiet_for: float) -> None:
    while True:
        await asyncio.sleep(quiet_for)
        try:
            await check_quiet_jobs(hub, db, quiet_for)
        except DatabaseUnavailable as e:
            log.warning("quiet-job check: %s", e)
        except Exception:
            log.exception("quiet-job check failed")
