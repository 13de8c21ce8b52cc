"""A job whose confirmed message was lost in RabbitMQ is published again by the sweep.

Only RabbitMQ can lose a confirmed message (an operator purges the queue, a node loses
its disk); the in-memory broker loses its queue only with its process, and a process
that starts publishes every PENDING job again.
"""

import aio_pika
import pytest

from broker.base import Broker
from core.settings import Settings
from db.connection import Db
from tests.conftest import StartApi, StartWorker
from worker.sweep import republish_lost

pytestmark = pytest.mark.parametrize("stack", ["production"], indirect=True)


async def purge_jobs_queue(settings: Settings) -> int:
    """What an operator's `rabbitmqctl purge_queue jobs` does; returns the messages dropped."""
    assert settings.amqp_url is not None
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(f"{settings.amqp_prefix}jobs", passive=True)
        purged = await queue.purge()
        return purged.message_count or 0


async def jobs_queued(broker: Broker) -> int:
    return (await broker.queue_depths())["jobs"]


async def test_a_job_whose_message_was_purged_is_published_again_and_completes(
    start_api: StartApi, start_worker: StartWorker, settings: Settings
) -> None:
    api = await start_api()
    token = await api.register()
    job = await api.create_job(token)
    assert await purge_jobs_queue(settings) == 1, "the job's message was confirmed in the queue"

    await start_worker(republish_after_seconds=1.0)

    done = await api.wait_for_status(token, job["id"], "COMPLETED", timeout=30)
    assert done["attempts"] == 1


async def test_a_job_whose_message_is_still_queued_is_not_published_twice(
    start_api: StartApi, db: Db, broker: Broker, settings: Settings
) -> None:
    api = await start_api()
    token = await api.register()
    await api.create_job(token)

    assert await republish_lost(db, broker, after_seconds=0.0) == 0, "its message waits in line"
    assert await jobs_queued(broker) == 1

    await purge_jobs_queue(settings)
    assert await republish_lost(db, broker, after_seconds=0.0) == 1
    assert await jobs_queued(broker) == 1
    assert await republish_lost(db, broker, after_seconds=60.0) == 0, "just published again"


async def test_a_job_waiting_for_its_retry_is_not_published_before_it_is_due(
    start_api: StartApi, db: Db, broker: Broker, settings: Settings
) -> None:
    api = await start_api()
    token = await api.register()
    job = await api.create_job(token)
    await purge_jobs_queue(settings)
    await db.execute(
        "UPDATE jobs SET available_at = available_at + interval '1 hour' WHERE id = :id",
        {"id": job["id"]},
    )

    assert await republish_lost(db, broker, after_seconds=0.0) == 0
