from collections.abc import AsyncGenerator

import strawberry

from core.errors import NotFound
from db import jobs
from db.jobs import JobRecord
from resolvers.context import Info
from resolvers.ids import job_id_of
from resolvers.permissions import IsAuthenticated
from resolvers.subscriptions.stream import job_event_stream
from schema.express import CURRENT_LANE
from schema.types.event import JobEvent


@strawberry.subscription(
    permission_classes=[IsAuthenticated],
    description="SNAPSHOT first, then live events; completes after a terminal status",
)
async def job_events(info: Info, job_id: strawberry.ID) -> AsyncGenerator[JobEvent, None]:
    user = info.context.require_user()
    stored_id = job_id_of(job_id)
    if stored_id is None:
        raise NotFound("Job not found.")

    hub = info.context.hub

    async def load() -> JobRecord | None:
        record = await jobs.get_job(info.context.db, stored_id, user_id=user.id)
        if record is not None:
            hub.read(stored_id, record.seq)
        return record

    lane = CURRENT_LANE.get()
    if lane is not None:
        lane.to_root = JobEvent.from_event
    # Registered before the snapshot is read, so no commit in between goes unseen; a job
    # absent at that read (or deleted just before it) is NOT_FOUND.
    async with hub.subscribe_job(stored_id) as inbox:
        async for event in job_event_stream(inbox, load, None if lane is None else lane.offer):
            yield JobEvent.from_event(event)
