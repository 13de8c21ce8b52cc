from dataclasses import replace

import strawberry

from core.errors import NotFound
from core.events import EventType
from core.jobs import ACTIVE, JobStatus
from core.metrics import JOBS_FINISHED
from db import jobs
from db.connection import utcnow
from resolvers.context import Info
from resolvers.ids import job_id_of
from resolvers.permissions import IsAuthenticated


@strawberry.mutation(
    permission_classes=[IsAuthenticated],
    description="Erases the job and its texts; a running job is cancelled first.",
)
async def delete_job(info: Info, id: strawberry.ID) -> bool:
    # The DELETE is the ownership check: another user's job is erased as little as one
    # that does not exist, and is told the same.
    job_id = job_id_of(id)
    user_id = info.context.require_user().id
    erased = (
        None if job_id is None else await jobs.delete_job(info.context.db, job_id, user_id=user_id)
    )
    if erased is None:
        raise NotFound("Job not found.")
    if erased.status in ACTIVE:
        # Its stream ends as a cancel's does, one change past the row's last; its worker
        # finds no row at its next write and stops.
        JOBS_FINISHED.labels(JobStatus.CANCELLED.value).inc()
        now = utcnow()
        cancelled = replace(
            erased,
            status=JobStatus.CANCELLED,
            seq=erased.seq + 1,
            error=None,
            updated_at=now,
            completed_at=now,
        )
        await info.context.broker.publish_event(cancelled.to_event(EventType.STATUS))
    return True
