"""SIGTERM: workers finish or hand back their jobs; the API tells websockets to go elsewhere."""

import asyncio
import json
import signal
import time
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed

from core.settings import Settings
from tests.client import Api
from tests.conftest import StartApi
from tests.processes import api_process, environment, worker_process

pytestmark = pytest.mark.parametrize("stack", ["production"], indirect=True)


async def test_a_terminated_worker_finishes_its_job_and_takes_no_new_one(
    start_api: StartApi, settings: Settings
) -> None:
    api = await start_api()
    token = await api.register()
    first = await api.create_job(token)
    env = environment(
        settings, CAREEROPS_WRITER_PACE_MS="20", CAREEROPS_SHUTDOWN_GRACE_SECONDS="30"
    )

    async with worker_process(env) as worker:
        await api.wait_for_status(token, first["id"], "PROCESSING", timeout=20)
        worker.send_signal(signal.SIGTERM)
        await asyncio.sleep(0.3)
        second = await api.create_job(token)
        exit_code = await asyncio.to_thread(worker.wait, 30)

    assert exit_code == 0
    done = await api.job(token, first["id"])
    assert done is not None and done["status"] == "COMPLETED" and done["attempts"] == 1
    waiting = await api.job(token, second["id"])
    assert waiting is not None and waiting["status"] == "PENDING", "a stopping worker takes no job"
    async with worker_process(env):
        await api.wait_for_status(token, second["id"], "COMPLETED", timeout=30)


async def test_a_job_unfinished_after_the_grace_period_goes_to_another_worker(
    start_api: StartApi, settings: Settings, tmp_path: Path
) -> None:
    api = await start_api()
    token = await api.register()
    job = await api.create_job(token)
    slow = environment(
        settings,
        CAREEROPS_WRITER_PACE_MS="200",
        CAREEROPS_SHUTDOWN_GRACE_SECONDS="0.5",
        CAREEROPS_LOG_FORMAT="json",
    )

    log = tmp_path / "worker.log"
    async with worker_process(slow, log=log) as worker:
        await api.wait_for_status(token, job["id"], "PROCESSING", timeout=20)
        stopped_at = time.monotonic()
        worker.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(worker.wait, 15) == 0
        assert time.monotonic() - stopped_at < 10

    async with worker_process(environment(settings)):
        done = await api.wait_for_status(token, job["id"], "COMPLETED", timeout=30)
    assert done["attempts"] == 2
    told = [json.loads(line) for line in log.read_text().splitlines()]
    handed_back = [line for line in told if line["message"].startswith("handed back unfinished")]
    assert [line.get("job_id") for line in handed_back] == [job["id"]], "the job is named"
    # as every line about a running job is (README): its user and attempt too
    assert [(line.get("user_id"), line.get("attempt")) for line in handed_back] == [
        ((await api.data("{ me { id } }", {}, token))["me"]["id"], 1)
    ]


async def test_a_terminated_api_closes_its_websockets_with_1001(settings: Settings) -> None:
    async with api_process(environment(settings)) as server:
        api = Api(server.url)
        token = await api.register()
        job = await api.create_job(token)
        async with api.socket(token) as socket:
            await socket.ack()
            operation = await socket.subscribe(
                "subscription($id: ID!) { jobEvents(jobId: $id) { seq type } }", {"id": job["id"]}
            )
            assert await socket.next_payload(operation) is not None  # the snapshot
            server.process.send_signal(signal.SIGTERM)
            with pytest.raises(ConnectionClosed) as closed:
                await socket.receive(timeout=10)
        await api.close()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
