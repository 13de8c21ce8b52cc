"""Health, readiness and Prometheus metrics, on the API and on a worker process."""

import asyncio
import json
import re
import socket
from pathlib import Path

import httpx
import pytest

from core import health
from core.settings import Settings
from tests.client import Api
from tests.conftest import StartApi
from tests.faults.outages import rabbitmq_down
from tests.processes import environment, free_port, worker_process


def sample(metrics: str, name: str, labels: str = "") -> float:
    match = re.search(rf"^{re.escape(name)}{re.escape(labels)} ([0-9.e+-]+)$", metrics, re.M)
    return float(match.group(1)) if match else 0.0


async def test_metrics_move_when_a_job_runs(api: Api) -> None:
    before = (await api.http.get("/metrics")).text
    token = await api.register()
    job = await api.create_job(token)
    await api.wait_for_status(token, job["id"], "COMPLETED")
    async with api.socket(token) as socket:
        await socket.ack()
        during = (await api.http.get("/metrics")).text
    after = (await api.http.get("/metrics")).text

    assert (
        sample(after, "careerops_jobs_created_total")
        == sample(before, "careerops_jobs_created_total") + 1
    )
    finished = 'careerops_jobs_finished_total{status="COMPLETED"}'
    assert sample(after, finished.split("{")[0], "{" + finished.split("{")[1]) >= 1
    assert sample(after, "careerops_events_relayed_total") > sample(
        before, "careerops_events_relayed_total"
    )
    assert sample(during, "careerops_open_websockets") >= 1
    assert 'careerops_queue_depth{queue="jobs"}' in after
    assert 'careerops_queue_depth{queue="dead"}' in after
    assert job["id"] not in after, "no job ids as labels"


async def test_readyz_is_ready_with_database_and_broker(api: Api) -> None:
    response = await api.http.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": True, "broker": True}}
    assert (await api.http.get("/healthz")).status_code == 200


async def test_readyz_answers_unavailable_while_a_check_hangs_past_its_cancel(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # asyncpg's cancelled query waits for a hung PostgreSQL to answer: wait_for waited with
    # it, and the probe answered after the 40 s the database hung, not after 2 s.
    hung: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

    async def hangs_past_its_cancel(db: object) -> bool:
        while True:
            try:
                return await asyncio.shield(hung)
            except asyncio.CancelledError:
                continue

    monkeypatch.setattr(health, "_database_ready", hangs_past_its_cancel)

    answer = await asyncio.wait_for(api.http.get("/readyz"), 3 * health.CHECK_TIMEOUT_SECONDS)
    hung.set_result(True)

    assert answer.status_code == 503
    assert answer.json()["checks"] == {"database": False, "broker": True}


@pytest.mark.parametrize("stack", ["production"], indirect=True)
async def test_readyz_and_the_queue_depths_tell_the_broker_is_down_and_back_after(
    start_api: StartApi,
) -> None:
    api = await start_api()
    before = (await api.http.get("/metrics")).text
    async with rabbitmq_down():
        await asyncio.sleep(0.5)
        down = await api.http.get("/readyz")
        assert (await api.http.get("/healthz")).status_code == 200, "alive, just not ready"
        during = (await api.http.get("/metrics")).text
    assert down.status_code == 503 and down.json()["checks"]["broker"] is False
    # the depths read before the outage were shown as if they were still true
    assert 'careerops_queue_depth{queue="jobs"}' in before
    assert "careerops_queue_depth{" not in during
    assert sample(during, "careerops_broker_errors_total", '{operation="queue_depths"}') >= 1
    for _ in range(50):
        if (await api.http.get("/readyz")).status_code == 200:
            break
        await asyncio.sleep(0.2)
    assert (await api.http.get("/readyz")).status_code == 200


@pytest.mark.parametrize("stack", ["production"], indirect=True)
async def test_a_worker_process_serves_health_readiness_and_metrics_and_stops_quietly(
    settings: Settings, db: object, tmp_path: Path
) -> None:
    port = free_port()
    env = environment(settings, CAREEROPS_WORKER_HTTP_PORT=str(port), CAREEROPS_LOG_FORMAT="json")
    log = tmp_path / "worker.log"
    async with (
        worker_process(env, log=log) as worker,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client,
    ):
        for _ in range(100):
            try:
                if (await client.get("/healthz")).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
        ready = await client.get("/readyz")
        metrics = await client.get("/metrics")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    assert "careerops_queue_depth" in metrics.text
    # Stopped by SIGTERM on the way out: a clean exit, its log JSON to the last line.
    assert worker.returncode == 0
    lines = log.read_text().splitlines()
    assert lines and all(json.loads(line)["level"] != "ERROR" for line in lines), lines


@pytest.mark.parametrize("stack", ["production"], indirect=True)
async def test_a_worker_whose_http_port_is_taken_stops_at_once_saying_so(
    settings: Settings, start_api: StartApi, tmp_path: Path
) -> None:
    # It used to go on without its health server: probes on that port checked another
    # process, and this one took jobs no orchestrator could see.
    api = await start_api()  # and no worker: the job waits for this one
    token = await api.register()
    job = await api.create_job(token)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = environment(
            settings, CAREEROPS_WORKER_HTTP_PORT=str(port), CAREEROPS_LOG_FORMAT="json"
        )
        log = tmp_path / "worker.log"
        async with worker_process(env, log=log) as worker:
            status = await asyncio.to_thread(worker.wait, 30)

    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert status == 1
    assert [(line["level"], line["message"]) for line in lines] == [
        (
            "ERROR",
            f"the worker's health server cannot listen on 127.0.0.1:{port} (Address already"
            " in use); give each worker on a host its own CAREEROPS_WORKER_HTTP_PORT, or 0"
            " for none; the worker stops",
        )
    ]
    waiting = await api.job(token, job["id"])
    assert waiting is not None and waiting["status"] == "PENDING"
