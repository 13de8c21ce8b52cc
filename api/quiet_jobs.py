"""Subscribers whose events were lost: found from the rows of the jobs they follow.

The hub resyncs every subscriber when its own broker connection comes back, but an event
can also be lost on the way from a worker (a worker's connection that broke just as it
published, after its job's message was acked). Nothing else would ever arrive for such a
job: its jobEvents subscribers would wait forever for the end the row already shows, and
its owner's myJobs would never show it finished.
"""

import logging
import time

from broker.fanout import Hub
from db import jobs
from db.connection import Db
from db.rounds import every

log = logging.getLogger(__name__)


async def check_quiet_jobs(hub: Hub, db: Db, quiet_for: float) -> int:
    """Resync the subscribers of every key (a job, a user) quiet for ``quiet_for`` seconds
    with a followed job whose row moved past what they were sent, or that is gone; returns
    how many keys that was."""
    quiet = hub.quiet_watches(quiet_for)
    job_ids = sorted({job_id for watch in quiet for job_id in watch.seqs})
    rows = await jobs.seqs_of(db, job_ids)
    resynced = 0
    for watch in quiet:
        watch.heard = time.monotonic()
        moved = [job_id for job_id, seq in watch.seqs.items() if rows.get(job_id, -1) != seq]
        if not moved:
            continue
        watch.resync()
        resynced += 1
        for job_id in moved:
            if job_id in rows:
                watch.saw(job_id, rows[job_id])
            else:
                del watch.seqs[job_id]
    if resynced:
        log.warning("%d watch(es) changed without an event reaching us: resynced", resynced)
    return resynced


#: rounds per ``quiet_for``: a key is checked by the time it has been quiet a quarter longer
#: (with one round per span, a key that fell quiet just after a round waited almost two)
ROUNDS_PER_SPAN = 4


async def run_quiet_job_checks(hub: Hub, db: Db, quiet_for: float) -> None:
    """Check quiet keys from now on; a round reads the database only if some key is quiet."""
    await every(
        quiet_for / ROUNDS_PER_SPAN,
        lambda: check_quiet_jobs(hub, db, quiet_for),
        name="quiet-subscription check",
        wait_first=True,
    )
