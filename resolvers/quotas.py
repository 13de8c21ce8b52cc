"""How many letters a user may have written: per minute, and at once."""

from core.errors import RateLimited
from db import quotas
from resolvers.context import Info

#: a letter takes 10-30 s to write; asking again after this is likely to find a free slot
ACTIVE_RETRY_AFTER_SECONDS = 15


async def take_job_quota(info: Info, idempotency_key: str | None = None) -> None:
    """Refuse (RATE_LIMITED) a job over the user's limits; a repeated request is always free."""
    user = info.context.require_user()
    db, settings = info.context.db, info.context.settings
    if idempotency_key is not None and await quotas.job_with_idempotency_key(
        db, user.id, idempotency_key
    ):
        return
    # Counted in the database, so the cap holds across API processes.
    if settings.max_active_jobs > 0 and (
        await quotas.count_active_jobs(db, user.id) >= settings.max_active_jobs
    ):
        raise RateLimited(
            ACTIVE_RETRY_AFTER_SECONDS,
            f"At most {settings.max_active_jobs} letters can be in progress at once;"
            " wait for one to finish.",
        )
    info.context.limits.take_job_slot(user.id, settings.jobs_per_minute)
