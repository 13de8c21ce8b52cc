"""Reading the caller's job, where another user's job is indistinguishable from none."""

from core.errors import Conflict, NotFound
from db import jobs
from db.jobs import JobRecord
from resolvers.context import Info
from resolvers.ids import job_id_of


async def own_job(info: Info, job_id: str) -> JobRecord:
    user = info.context.require_user()
    stored_id = job_id_of(job_id)
    record = (
        None
        if stored_id is None
        else await jobs.get_job(info.context.db, stored_id, user_id=user.id)
    )
    if record is None:
        raise NotFound("Job not found.")
    return record


async def conflict_or_missing(info: Info, job_id: str, action: str) -> Conflict:
    """The error for a transition that did not happen: the job moved on, or is gone."""
    record = await own_job(info, job_id)
    return Conflict(f"Cannot {action} a job that is {record.status.value}.")
