"""`careerops status` and `careerops requeue-dead` against the real services."""

import asyncio
import re
from dataclasses import replace
from datetime import timedelta

import pytest

from broker.base import Broker
from core.settings import Settings
from db.connection import Db, utcnow
from tests.client import Api
from tests.conftest import StartApi, StartWorker
from tests.processes import environment, free_port, run_careerops
from tests.worker.test_consumer import FlakyWriter

pytestmark = pytest.mark.parametrize("stack", ["production"], indirect=True)


def careerops(settings: Settings, *args: str, with_token_keys: bool = True) -> str:
    env = environment(settings)
    if not with_token_keys:
        del env["CAREEROPS_JWT_SECRET"]  # an operator's command signs and reads no token
    result = run_careerops(*args, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


async def test_status_prints_queues_jobs_by_status_and_the_oldest_pending_age(
    start_api: StartApi, settings: Settings, broker: Broker
) -> None:
    api: Api = await start_api()
    token = await api.register()
    for _ in range(3):
        await api.create_job(token)
    await asyncio.sleep(0.2)

    report = await asyncio.to_thread(careerops, settings, "status", with_token_keys=False)

    assert "queue jobs        3 message(s) waiting" in report
    assert "queue dead        0 dead-lettered message(s)" in report
    assert "  PENDING      3" in report and "  COMPLETED    0" in report
    assert "oldest PENDING    " in report and "none waiting" not in report
    assert "waiting to retry  0 job(s)\n" in report


async def test_status_during_a_rabbitmq_outage_still_tells_the_jobs_by_status(
    start_api: StartApi, settings: Settings
) -> None:
    # It printed one line, RabbitMQ not reachable, and nothing of what PostgreSQL knows.
    api: Api = await start_api()
    token = await api.register()
    await api.create_job(token)
    away = replace(settings, amqp_url=f"amqp://guest:guest@127.0.0.1:{free_port()}/")

    report = await asyncio.to_thread(careerops, away, "status")

    assert "queue jobs        unknown message(s) waiting" in report
    assert re.search(r"RabbitMQ          RabbitMQ at 127\.0\.0\.1:\d+/ not reachable", report)
    assert "  PENDING      1" in report


async def test_status_tells_jobs_waiting_to_retry_apart_from_jobs_due(
    start_api: StartApi, settings: Settings, db: Db
) -> None:
    # A job backing off after a provider's error is PENDING but not due: "oldest PENDING
    # 0 s" made a provider outage look like an empty queue.
    api: Api = await start_api()
    token = await api.register()
    job = await api.create_job(token)
    await db.execute(
        "UPDATE jobs SET available_at = :later WHERE id = :id",
        {"later": db.time(utcnow() + timedelta(seconds=90)), "id": job["id"]},
    )

    report = await asyncio.to_thread(careerops, settings, "status")

    assert "oldest PENDING    none waiting" in report
    assert re.search(r"waiting to retry  1 job\(s\), the next due in (8\d|90) s", report), report


async def test_requeue_dead_runs_jobs_that_failed_in_an_outage_again(
    start_api: StartApi, start_worker: StartWorker, settings: Settings, broker: Broker
) -> None:
    api: Api = await start_api()
    token = await api.register()
    writer = FlakyWriter(failures=2)  # the provider is down for two attempts
    await start_worker(writer, max_attempts=2)
    job = await api.create_job(token)
    await api.wait_for_status(token, job["id"], "FAILED")
    await broker.publish_raw(b"not json at all")  # type: ignore[attr-defined]
    await asyncio.sleep(0.5)
    assert len(await broker.dead_letters()) == 2

    output = await asyncio.to_thread(careerops, settings, "requeue-dead")

    assert output.strip() == "requeued 1 job(s); 1 unreadable message(s) stay dead-lettered"
    done = await api.wait_for_status(token, job["id"], "COMPLETED")
    assert done["attempts"] == 3
    assert await broker.dead_letters() == [b"not json at all"]


def test_a_migration_that_cannot_run_says_why_in_one_line(settings: Settings) -> None:
    nowhere = "postgresql://postgres@127.0.0.1:1/careerops"  # nothing listens on port 1
    result = run_careerops("migrate", env=environment(settings, CAREEROPS_DATABASE_URL=nowhere))

    assert result.returncode == 1
    assert result.stderr.startswith("careerops: the migration failed (ConnectionRefusedError")
    assert len(result.stderr.splitlines()) == 1, result.stderr
