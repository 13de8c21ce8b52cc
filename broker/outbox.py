"""Publishing a job's wake-up: the row is committed first, the table is the outbox."""

import logging

from broker.base import Broker, BrokerUnavailable, JobMessage
from core.logs import current
from core.metrics import BROKER_ERRORS
from core.tracing import inject
from db import jobs
from db.connection import Db
from db.jobs import JobRecord

log = logging.getLogger(__name__)


def carried_headers(**extra: str) -> dict[str, str]:
    """Headers that carry the request id and the trace being logged now on to the job's
    next message, so every attempt's lines name the request that made the job."""
    request_id = current("request_id")
    return inject({**({"x-request-id": request_id} if request_id else {}), **extra})


async def enqueue(
    db: Db, broker: Broker, job: JobRecord, *, delay: float = 0.0, sweeping: bool = False
) -> bool:
    """Publish the job's message; False leaves it to the sweep (the broker is away). The
    sweep's own tries are not told: the broker's outage is, by its connections' three lines,
    and a line per job every round buried them."""
    try:
        await broker.publish_job(
            JobMessage(job.id, job.kind), delay=delay, headers=carried_headers()
        )
    except BrokerUnavailable as e:
        BROKER_ERRORS.labels("publish_job").inc()
        if sweeping:
            log.debug("job %s not published by the sweep (%s)", job.id, e)
        else:
            log.warning("job %s not published now (%s); the sweep will publish it", job.id, e)
        return False
    await jobs.mark_published(db, job.id)
    return True
