"""A worker writes many letters side by side: writing one is mostly waiting on the model."""

import asyncio
from collections.abc import AsyncIterator

from core.settings import Settings
from tests.conftest import StartApi, StartWorker
from worker.writers.base import LetterRequest

LETTERS = 12


class WaitingWriter:
    """Starts each letter, then waits for the test, as a model keeps a writer waiting."""

    def __init__(self) -> None:
        self.writing = 0
        self.all_started = asyncio.Event()
        self.go_on = asyncio.Event()

    async def write(self, request: LetterRequest) -> AsyncIterator[str]:
        yield "Dear team, "
        self.writing += 1
        if self.writing == LETTERS:
            self.all_started.set()
        await self.go_on.wait()
        yield "I would like to join you."

    async def close(self) -> None:
        pass


async def test_one_worker_with_the_default_settings_writes_a_dozen_letters_at_once(
    start_api: StartApi, start_worker: StartWorker
) -> None:
    assert Settings().worker_concurrency >= LETTERS
    api = await start_api()
    writer = WaitingWriter()
    await start_worker(writer)
    token = await api.register()
    jobs = [await api.create_job(token) for _ in range(LETTERS)]

    await asyncio.wait_for(writer.all_started.wait(), 30)
    running = [await api.job(token, job["id"]) for job in jobs]
    writer.go_on.set()
    done = [await api.wait_for_status(token, job["id"], "COMPLETED") for job in jobs]

    assert all(job is not None and job["status"] == "PROCESSING" for job in running)
    assert all(job["coverLetter"] == "Dear team, I would like to join you." for job in done)
