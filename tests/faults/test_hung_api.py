"""An API that stops reading its events makes RabbitMQ keep a bounded backlog, not all of
them; the subscribers whose events were dropped still get their job's end from the row."""

import asyncio
import contextlib
import json
import os
import signal
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aio_pika
import pytest

from broker.rabbitmq.batching import batch_body
from core.events import EventType, JobEvent
from core.jobs import JobStatus
from core.settings import Settings
from db.connection import Db
from tests.client import Api
from tests.processes import api_process, environment, worker_process
from tests.waiting import until_async

BACKLOG_BYTES = 64 * 1024


@pytest.mark.parametrize("stack", ["production"], indirect=True)
async def test_a_stopped_api_keeps_a_bounded_backlog_and_its_subscribers_still_see_the_end(
    settings: Settings, db: Db
) -> None:
    env = environment(
        settings,
        CAREEROPS_EVENT_BACKLOG_BYTES=str(BACKLOG_BYTES),
        CAREEROPS_QUIET_JOB_CHECK_SECONDS="1",
    )
    async with api_process(env) as process, _event_exchange(settings) as events:
        api = Api(process.url)
        token = await api.register()
        job = await api.create_job(token)
        following = await api.following(token, job["id"], timeout=60)

        os.kill(process.process.pid, signal.SIGSTOP)
        try:
            # Fill what sits between the queue and the stopped process (socket buffers,
            # RabbitMQ's own credit), until the queue itself starts to hold events...
            while (await _event_queue(settings))["messages"] == 0:
                await _flood(events, megabytes=1)
            # ...then the job runs to its end, its events queued behind that...
            async with worker_process(env):
                await until_async(lambda: _completed(db, job["id"]), timeout=30)
            # ...and more events of other jobs push them out of the queue's head.
            await _flood(events, megabytes=1)
            held = await _event_queue(settings)
        finally:
            os.kill(process.process.pid, signal.SIGCONT)
        seen = await asyncio.wait_for(following, 60)
        final = await api.job(token, job["id"])
        await api.close()

    assert 0 < held["message_bytes"] <= BACKLOG_BYTES, held
    # The job's live events were dropped: what ended the stream is a fresh read of the row.
    assert [(e["type"], e["status"]) for e in seen] == [
        ("SNAPSHOT", "PENDING"),
        ("SNAPSHOT", "COMPLETED"),
    ]
    assert final is not None and seen[-1]["text"] == final["coverLetter"]
    assert seen[-1]["seq"] == final["seq"]


async def _completed(db: Db, job_id: str) -> bool:
    status = await db.fetch_val("SELECT status FROM jobs WHERE id = :id", {"id": job_id})
    return bool(status == "COMPLETED")


async def _flood(events: aio_pika.abc.AbstractExchange, *, megabytes: int) -> None:
    """Events of jobs nobody follows, ten to a message as the workers batch them."""
    delta = "x" * 1000
    for _ in range(megabytes * 100):
        batch = [
            JobEvent(
                job_id=str(uuid.uuid4()),
                user_id=str(uuid.uuid4()),
                seq=2,
                type=EventType.DELTA,
                status=JobStatus.PROCESSING,
                attempt=1,
                progress=0.5,
                at=datetime.now(UTC),
                delta=delta,
            ).to_json()
            for _ in range(10)
        ]
        await events.publish(aio_pika.Message(batch_body(batch)), routing_key="")


@contextlib.asynccontextmanager
async def _event_exchange(
    settings: Settings,
) -> AsyncIterator[aio_pika.abc.AbstractExchange]:
    assert settings.amqp_url is not None
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=False)
        yield await channel.get_exchange(f"{settings.amqp_prefix}job.events")


async def _event_queue(settings: Settings) -> dict[str, int]:
    """The API process's own event queue, as RabbitMQ counts it."""
    listing = await asyncio.create_subprocess_exec(
        "rabbitmqctl",
        "list_queues",
        "-q",
        "name",
        "messages",
        "message_bytes",
        "--formatter",
        "json",
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await listing.communicate()
    (queue,) = [
        q for q in json.loads(out) if q["name"].startswith(f"{settings.amqp_prefix}job.events.")
    ]
    return {"messages": int(queue["messages"]), "message_bytes": int(queue["message_bytes"])}
