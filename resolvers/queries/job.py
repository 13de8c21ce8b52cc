import strawberry

from db import jobs
from resolvers.context import Info
from resolvers.ids import is_job_id
from resolvers.permissions import IsAuthenticated
from schema.types.job import Job


@strawberry.field(
    permission_classes=[IsAuthenticated], description="null when absent or not the caller's"
)
async def job(info: Info, id: strawberry.ID) -> Job | None:
    user = info.context.require_user()
    if not is_job_id(id):
        return None
    record = await jobs.get_job(info.context.db, id, user_id=user.id)
    return None if record is None else Job.from_record(record)
