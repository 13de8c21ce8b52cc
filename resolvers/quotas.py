"""How many letters a user may have written: per minute, and at once.

A retry takes both limits while the user's jobs are placed one request at a time
(``db.jobs.placing_jobs_of``). A new job's INSERT counts the active jobs itself, in the
user's turn across processes, and its slot of the minute is held while it runs
(``Limits.new_job_slot``). Either way a slot taken by a request the active-jobs limit
then refuses is given back before a request of that user is refused for the minute, so
no request is told "a minute" for a slot that was only held for a moment.
"""

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import NoReturn

from core.errors import RateLimited
from core.settings import Settings
from db import quotas, users
from db.connection import Db
from resolvers.context import Info
from resolvers.limits import letters

#: a letter takes 10-30 s to write; asking again after this is likely to find a free slot
ACTIVE_RETRY_AFTER_SECONDS = 15


async def take_job_quota(info: Info, db: Db) -> None:
    """Refuse (RATE_LIMITED) writing a letter again over the user's limits (``retryJob``),
    counting its active jobs on ``db`` (from ``placing_jobs_of``)."""
    user = info.context.require_user()
    settings = info.context.settings
    # Counted in the database, so the cap holds across API processes.
    if settings.max_active_jobs > 0 and (
        await quotas.count_active_jobs(db, user.id) >= settings.max_active_jobs
    ):
        raise _over_active_limit(settings)
    info.context.limits.take_job_slot(user.id, settings.jobs_per_minute)


@contextlib.asynccontextmanager
async def new_job_slot(info: Info) -> AsyncIterator[Callable[[], None]]:
    """A new job's slot of the per-minute limit, held while it is placed, and how to give
    it back (no new job was placed). Its active-jobs limit is checked by its INSERT
    (``db.jobs.insert_job``); a repeated request, answered with the job it made, needs no
    slot (``create_cover_letter``)."""
    context = info.context
    async with context.limits.new_job_slot(
        context.caller_id(), context.settings.jobs_per_minute
    ) as back:
        yield back


def give_back_job_slot(info: Info) -> None:
    """The minute's slot of a request that placed no job."""
    info.context.limits.give_back_job_slot(info.context.caller_id())


async def refuse_unplaced_job(info: Info) -> NoReturn:
    """Why ``insert_job`` placed no job: the account is gone (UNAUTHENTICATED, as for any
    field), or it has its most unfinished jobs already (RATE_LIMITED)."""
    context = info.context
    # Read afresh: a socket's user was read as it signed in, and may have been deleted since.
    if context.settings.max_active_jobs <= 0 or not await users.get_user(
        context.db, context.caller_id()
    ):
        raise context.account_gone()
    raise _over_active_limit(context.settings)


def _over_active_limit(settings: Settings) -> RateLimited:
    return RateLimited(
        ACTIVE_RETRY_AFTER_SECONDS,
        f"At most {letters(settings.max_active_jobs)} can be in progress at once;"
        " wait for one to finish.",
    )
