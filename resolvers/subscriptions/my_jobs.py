from collections.abc import AsyncGenerator
from datetime import timedelta

import strawberry

from core.events import JobEvent
from db import jobs
from db.connection import utcnow
from db.jobs import JobRecord
from resolvers.context import Info
from resolvers.permissions import IsAuthenticated
from schema.types.job import Job

#: how far before the last change this reader saw a resync looks again: changes reach the
#: hub out of their commit order by up to a publish's delay, and workers on other hosts
#: stamp them with their own clocks
RESYNC_LOOKBACK = timedelta(seconds=30)


@strawberry.subscription(
    permission_classes=[IsAuthenticated],
    description="the caller's jobs, each time one changes status",
)
async def my_jobs(info: Info) -> AsyncGenerator[Job, None]:
    user = info.context.require_user()
    db = info.context.db
    #: the seq last sent per job: a repeated event (a worker re-announcing a state after a
    #: crash) or one already covered by a later read sends nothing
    sent: dict[str, int] = {}
    async with info.context.hub.subscribe_user(user.id) as inbox:
        in_step_at = utcnow()
        while True:
            item = await inbox.get()
            records: list[JobRecord]
            if isinstance(item, JobEvent):
                if item.user_id != user.id:
                    continue
                in_step_at = max(in_step_at, item.at)
                record = await jobs.get_job(db, item.job_id, user_id=user.id)
                records = [] if record is None else [record]
            else:
                # A Resync: this reader fell behind and its backlog was dropped, or the
                # broker connection was lost with whatever was published meanwhile. Every
                # job changed since the reader was last in step is read again.
                checked_at = utcnow()
                records = await jobs.jobs_changed_since(db, user.id, in_step_at - RESYNC_LOOKBACK)
                in_step_at = checked_at
            for record in records:
                if record.seq > sent.get(record.id, -1):
                    sent[record.id] = record.seq
                    yield Job.from_record(record)
