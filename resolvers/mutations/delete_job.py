import strawberry

from core.errors import NotFound
from db import jobs
from resolvers.context import Info
from resolvers.jobs_access import own_job
from resolvers.mutations.cancel_job import cancel
from resolvers.permissions import IsAuthenticated


@strawberry.mutation(
    permission_classes=[IsAuthenticated],
    description="Erases the job and its texts; a running job is cancelled first.",
)
async def delete_job(info: Info, id: strawberry.ID) -> bool:
    job_id = (await own_job(info, id)).id
    # Cancelling first stops the worker at its next flush and ends open subscriptions.
    await cancel(info, job_id)
    user_id = info.context.require_user().id
    if not await jobs.delete_job(info.context.db, job_id, user_id=user_id):
        raise NotFound("Job not found.")
    return True
