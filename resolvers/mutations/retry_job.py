import strawberry

from broker.outbox import enqueue
from core.errors import Conflict
from core.events import EventType
from core.jobs import RETRYABLE
from db import jobs
from resolvers.context import Info
from resolvers.jobs_access import conflict_or_missing, own_job
from resolvers.permissions import IsAuthenticated
from resolvers.quotas import give_back_job_slot, take_job_quota
from schema.types.job import Job


@strawberry.mutation(
    permission_classes=[IsAuthenticated], description="FAILED or CANCELLED back to PENDING"
)
async def retry_job(info: Info, id: strawberry.ID) -> Job:
    job = await own_job(info, id)
    # Its state first: a job that cannot be retried is a CONFLICT whatever the limits say
    # (a RATE_LIMITED's retryAfter would promise what can never come).
    if job.status not in RETRYABLE:
        raise Conflict(f"Cannot retry a job that is {job.status.value}.")
    user_id = info.context.require_user().id
    max_active = info.context.settings.max_active_jobs
    # A retry writes the letter again: it costs the same as a new job, and is counted
    # with the user's other active jobs one request at a time, as a new job is.
    async with jobs.placing_jobs_of(info.context.db, user_id, max_active=max_active) as db:
        await take_job_quota(info, db)
        record = await jobs.run_again(db, job.id, user_id=user_id)
        if record is None:
            give_back_job_slot(info)
    if record is None:
        raise await conflict_or_missing(info, job.id, "retry")
    await info.context.broker.publish_event(record.to_event(EventType.STATUS))
    await enqueue(info.context.db, info.context.broker, record)
    return Job.from_record(record)
