"""The lease on a running attempt: renewed while the writer makes progress."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

from core.outages import Outage
from db import jobs
from db.connection import DatabaseUnavailable
from worker.beside import run_beside
from worker.deps import WorkerDeps
from worker.outcomes import Fenced
from worker.stream import JobStream


async def _still_owned(stream: JobStream, deps: WorkerDeps) -> bool:
    if stream.idle_seconds() < deps.settings.lease_seconds:
        return await jobs.renew_lease(
            deps.db, stream.job.id, attempt=stream.attempt, lease_until=deps.lease_deadline()
        )
    # No progress for a whole lease: stop renewing, so another worker may take over.
    return await jobs.owns_attempt(deps.db, stream.job.id, attempt=stream.attempt)


@contextlib.asynccontextmanager
async def keep_lease(
    stream: JobStream, deps: WorkerDeps, database_outage: Outage
) -> AsyncIterator[None]:
    """Run the body under the lease; if another attempt takes the job, stop it with ``Fenced``.
    A renewal the database cannot take is told through the worker's ``database_outage``:
    a line per running job every lease/3 seconds buried the outage's own three lines."""

    async def keep() -> None:
        while True:
            await asyncio.sleep(deps.settings.lease_seconds / 3)
            try:
                owned = await _still_owned(stream, deps)
            except DatabaseUnavailable as e:
                database_outage.failed(e)
                continue
            database_outage.recovered()
            if not owned:
                raise Fenced("the job was taken over or cancelled")

    async with run_beside(keep(), name=f"lease-{stream.job.id}"):
        yield
