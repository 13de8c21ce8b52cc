import strawberry

from broker.outbox import enqueue
from core.events import EventType
from core.jobs import JobStatus
from db import jobs
from db.connection import utcnow
from db.jobs import Sql
from resolvers.context import Info
from resolvers.jobs_access import conflict_or_missing, own_job
from resolvers.permissions import IsAuthenticated
from schema.types.job import Job


@strawberry.mutation(
    permission_classes=[IsAuthenticated], description="FAILED or CANCELLED back to PENDING"
)
async def retry_job(info: Info, id: strawberry.ID) -> Job:
    await own_job(info, id)
    record = await jobs.transition(
        info.context.db,
        id,
        JobStatus.PENDING,
        user_id=info.context.require_user().id,
        only_from=frozenset({JobStatus.FAILED, JobStatus.CANCELLED}),
        changes={
            # The attempt count goes on (it fences old writers); the budget starts afresh.
            "attempts_base": Sql("attempts"),
            "partial_text": "",
            "cover_letter": None,
            "progress": 0.0,
            "error": None,
            "available_at": utcnow(),
            "published_at": None,
            "completed_at": None,
        },
    )
    if record is None:
        raise await conflict_or_missing(info, id, "retry")
    await info.context.broker.publish_event(record.to_event(EventType.STATUS))
    await enqueue(info.context.db, info.context.broker, record)
    return Job.from_record(record)
