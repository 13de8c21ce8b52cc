import strawberry

from core.events import EventType
from core.jobs import JobStatus
from core.metrics import JOBS_FINISHED
from db import jobs
from db.jobs import JobRecord
from resolvers.context import Info
from resolvers.jobs_access import conflict_or_missing, own_job
from resolvers.permissions import IsAuthenticated
from schema.types.job import Job


async def cancel(info: Info, job_id: str) -> JobRecord | None:
    """Cancel the caller's job if it is active; None when it was not."""
    record = await jobs.transition(
        info.context.db,
        job_id,
        JobStatus.CANCELLED,
        user_id=info.context.require_user().id,
        # A job waiting to retry says when it will ("Will retry in 60 s"): cancelled, it won't.
        changes={"lease_until": None, "error": None, "completed_at": jobs.TRANSITION_TIME},
    )
    if record is not None:
        JOBS_FINISHED.labels(JobStatus.CANCELLED.value).inc()
        await info.context.broker.publish_event(record.to_event(EventType.STATUS))
    return record


@strawberry.mutation(permission_classes=[IsAuthenticated])
async def cancel_job(info: Info, id: strawberry.ID) -> Job:
    job_id = (await own_job(info, id)).id
    record = await cancel(info, job_id)
    if record is None:
        raise await conflict_or_missing(info, job_id, "cancel")
    return Job.from_record(record)
