"""Reading the caller's job, where another user's job is indistinguishable from none."""

from core.errors import Conflict, NotFound
from db import jobs
from db.jobs import JobRecord
from resolvers.context import Info
from resolvers.ids import is_job_id


async def own_job(info: Info, job_id: str) -> JobRecord:
    user = info.context.require_user()
    record = (
        await jobs.get_job(info.context.db, job_id, user_id=user.id) if is_job_id(job_id) else None
    )
    if record is None:
        raise NotFound("Job not found.")
    return record


async def conflict_or_missing(info: Info, job_id: str, action: str) -> Conflict:
    """The error for a transition that did not happen: the job moved on, or is gone."""
    record = await own_job(info, job_id)
    return Conflict(f"Cannot {action} a job that is {record.status.value}.")
