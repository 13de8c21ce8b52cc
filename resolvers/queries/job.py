import strawberry

from db import jobs
from resolvers.context import Info
from resolvers.ids import job_id_of
from schema.types.job import Job


# No IsAuthenticated: it would read the user in a round trip of its own, and a polling
# client asks this many times a minute. The user is read with the job instead, and a
# deleted account is refused just the same.
@strawberry.field(description="null when absent or not the caller's")
async def job(info: Info, id: strawberry.ID) -> Job | None:
    context = info.context
    user_id = context.require_claims().user_id
    job_id = job_id_of(id)
    if job_id is None:
        await context.signed_in_user()
        return None
    owner_exists, record = await jobs.get_job_of_user(context.db, job_id, user_id)
    if not owner_exists:
        raise context.account_gone()
    return None if record is None else Job.from_record(record)
