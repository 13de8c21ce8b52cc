"""Letters held part-written, so a test can break a service while they are in flight."""

import asyncio
from collections.abc import AsyncIterator

from tests.client import Api, Json
from tests.conftest import StartWorker
from tests.waiting import until
from worker.writers.base import LetterRequest
from worker.writers.offline import OfflineWriter


class GatedWriter:
    """Writes a few words, then waits for the test before writing the rest."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.go_on = asyncio.Event()
        self.calls = 0

    async def write(self, request: LetterRequest) -> AsyncIterator[str]:
        self.calls += 1
        yield "Dear team, "
        self.started.set()
        await self.go_on.wait()
        async for chunk in OfflineWriter().write(request):
            yield chunk

    async def close(self) -> None:
        pass


async def letters_held_mid_way(
    api: Api, start_worker: StartWorker, count: int
) -> tuple[str, list[Json], GatedWriter]:
    """``count`` jobs of one new user, each begun by one worker and held by its writer."""
    writer = GatedWriter()
    await start_worker(writer, worker_concurrency=count)
    token = await api.register()
    jobs = [await api.create_job(token) for _ in range(count)]
    await until(lambda: writer.calls == count)
    return token, jobs, writer
