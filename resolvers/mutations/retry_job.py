import strawberry

from broker.outbox import enqueue
from core.events import EventType
from db import jobs
from resolvers.context import Info
from resolvers.jobs_access import conflict_or_missing, own_job
from resolvers.permissions import IsAuthenticated
from resolvers.quotas import take_job_quota
from schema.types.job import Job


@strawberry.mutation(
    permission_classes=[IsAuthenticated], description="FAILED or CANCELLED back to PENDING"
)
async def retry_job(info: Info, id: strawberry.ID) -> Job:
    job_id = (await own_job(info, id)).id
    user_id = info.context.require_user().id
    # A retry writes the letter again: it costs the same as a new job, and is counted
    # with the user's other active jobs one request at a time, as a new job is.
    async with info.context.db.one_at_a_time(jobs.active_jobs_lock(user_id)) as db:
        await take_job_quota(info, db)
        record = await jobs.run_again(db, job_id, user_id=user_id)
    if record is None:
        raise await conflict_or_missing(info, job_id, "retry")
    await info.context.broker.publish_event(record.to_event(EventType.STATUS))
    await enqueue(info.context.db, info.context.broker, record)
    return Job.from_record(record)
