from collections.abc import AsyncGenerator

import strawberry

from core.events import JobEvent
from db import jobs
from resolvers.context import Info
from resolvers.permissions import IsAuthenticated
from schema.types.job import Job


@strawberry.subscription(
    permission_classes=[IsAuthenticated],
    description="the caller's jobs, each time one changes status",
)
async def my_jobs(info: Info) -> AsyncGenerator[Job, None]:
    user = info.context.require_user()
    #: the seq last sent per job: a repeated event (a worker re-announcing a state after a
    #: crash) or one already covered by a later read sends nothing
    sent: dict[str, int] = {}
    async with info.context.hub.subscribe_user(user.id) as inbox:
        while True:
            item = await inbox.get()
            if not isinstance(item, JobEvent) or item.user_id != user.id:
                continue  # a Resync: nothing to replay, the next change brings the row
            record = await jobs.get_job(info.context.db, item.job_id, user_id=user.id)
            if record is not None and record.seq > sent.get(record.id, -1):
                sent[record.id] = record.seq
                yield Job.from_record(record)
