"""Scaling out: 2 API processes and 3 worker processes share the load and every stream."""

import contextlib

import pytest

from core.settings import Settings
from db.connection import Db
from tests.client import Api, Streams, assemble
from tests.processes import api_process, environment, worker_process

JOBS = 200
SUBSCRIPTIONS_PER_SOCKET = 50


@pytest.mark.slow
@pytest.mark.timeout(240)
@pytest.mark.parametrize("stack", ["production"], indirect=True)
async def test_two_apis_and_three_workers_complete_every_job_once_with_whole_streams(
    settings: Settings, db: Db
) -> None:
    env = environment(settings, CAREEROPS_WRITER_PACE_MS="2")
    async with contextlib.AsyncExitStack() as stack:
        servers = [await stack.enter_async_context(api_process(env)) for _ in range(2)]
        for _ in range(3):
            await stack.enter_async_context(worker_process(env))
        apis = [Api(server.url) for server in servers]
        token = await apis[0].register()
        streams: list[Streams] = []
        created: list[tuple[int, str]] = []
        for first in range(0, JOBS, SUBSCRIPTIONS_PER_SOCKET):
            # Create through one API, watch through the other: events cross processes.
            creator, watcher = (
                apis[(first // SUBSCRIPTIONS_PER_SOCKET) % 2],
                apis[(first // SUBSCRIPTIONS_PER_SOCKET + 1) % 2],
            )
            socket = await stack.enter_async_context(watcher.socket(token))
            await socket.ack()
            stream = Streams(socket)
            streams.append(stream)
            for n in range(first, first + SUBSCRIPTIONS_PER_SOCKET):
                job = await creator.create_job(token, companyName=f"Company {n}")
                await stream.follow(job["id"])
                created.append((n, job["id"]))
        unfinished = [job for stream in streams for job in await stream.wait_all(timeout=180)]
        assert not unfinished, f"{len(unfinished)} subscriptions never completed"
        finals = {job_id: await apis[n % 2].job(token, job_id) for n, job_id in created}
        for stream in streams:
            await stream.close()
        for api in apis:
            await api.close()

    events = {job_id: e for stream in streams for job_id, e in stream.events.items()}
    for _, job_id in created:
        final = finals[job_id]
        assert final is not None and final["status"] == "COMPLETED"
        assert final["attempts"] == 1, "each job ran exactly once"
        assert events[job_id][0]["type"] == "SNAPSHOT"
        assert assemble(events[job_id]) == final["coverLetter"]
    rows = await db.fetch_val("SELECT COUNT(*) FROM jobs WHERE status = 'COMPLETED'")
    assert rows == JOBS
