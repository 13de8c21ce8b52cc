"""Operator commands: `careerops status` and `careerops requeue-dead`."""

import logging
from datetime import datetime

from broker.base import Broker, BrokerUnavailable, JobMessage, MalformedMessage
from broker.outbox import enqueue
from core.events import EventType
from core.jobs import ACTIVE, JobStatus
from db import jobs
from db.connection import Db, utcnow

log = logging.getLogger(__name__)


async def status_report(db: Db, broker: Broker | None, *, broker_trouble: str = "") -> str:
    """What an operator asks first; without ``broker`` (RabbitMQ away, as
    ``broker_trouble`` says) all but the queue depths."""
    if broker is not None:
        try:
            depths = {name: f"{depth}" for name, depth in (await broker.queue_depths()).items()}
        except BrokerUnavailable as e:
            broker, broker_trouble = None, str(e)
    if broker is None:
        depths = dict.fromkeys(("jobs", "dead"), "unknown")
    counts = await jobs.count_by_status(db)
    oldest = await jobs.oldest_pending_since(db)
    age = "none waiting"
    if oldest:
        age = f"{_seconds_between(oldest, utcnow())} (of the jobs due to run)"
    backing_off, next_due = await jobs.retries_waiting(db)
    retries = f"{backing_off} job(s)"
    if next_due:
        retries += f", the next due in {_seconds_between(utcnow(), next_due)}"
    lines = [
        f"queue jobs        {depths.get('jobs', '0')} message(s) waiting",
        f"queue dead        {depths.get('dead', '0')} dead-lettered message(s)",
        *([f"RabbitMQ          {broker_trouble}"] if broker is None else []),
        f"oldest PENDING    {age}",
        f"waiting to retry  {retries}",
        "jobs by status:",
        *(f"  {status.value:<12} {count}" for status, count in counts.items()),
    ]
    return "\n".join(lines) + "\n"


def _seconds_between(earlier: datetime, later: datetime) -> str:
    return f"{max(0.0, (later - earlier).total_seconds()):.0f} s"


async def requeue_dead(db: Db, broker: Broker) -> tuple[int, int]:
    """Run every dead-lettered job again; returns (requeued, unreadable kept dead).

    A job that FAILED when its attempts ran out (the provider was down) goes back
    to PENDING with a fresh attempt budget; a message nobody can read stays parked.
    """
    requeued = kept = 0

    async def requeue(body: bytes) -> bool:
        nonlocal requeued, kept
        try:
            message = JobMessage.from_json(body)
        except MalformedMessage:
            kept += 1
            return False
        job = await jobs.get_job(db, message.job_id)
        if job is not None and job.status is JobStatus.FAILED:
            job = await jobs.run_again(db, job.id)
            if job is not None:
                await broker.publish_event(job.to_event(EventType.STATUS))
        if job is None or job.status not in ACTIVE:
            log.info("dropping a dead letter of job %s: nothing to run", message.job_id)
            return True
        await enqueue(db, broker, job)
        requeued += 1
        return True

    await broker.work_through_dead_letters(requeue)
    return requeued, kept
