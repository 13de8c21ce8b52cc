"""A job's message reaches the jobs queue, now or after its delay, or its publish fails.

RabbitMQ deletes a delay queue nobody used for a minute, and aio-pika counted a message
that no queue took as confirmed: a retry published after its delay queue expired was lost
without a word, and its job waited two minutes for the sweep.
"""

import asyncio
import contextlib
import os
import socket
import subprocess
from collections.abc import AsyncIterator

import aio_pika
import pytest

from broker.base import Broker, BrokerUnavailable, Delivery, JobMessage, Outcome
from broker.rabbitmq import RabbitBroker
from core.jobs import JobKind
from core.settings import Settings

pytestmark = pytest.mark.parametrize("stack", ["production"], indirect=True)


@contextlib.asynccontextmanager
async def queue_admin(settings: Settings) -> AsyncIterator[aio_pika.abc.AbstractChannel]:
    """A channel of the operator's, beside the service's own connections."""
    assert settings.amqp_url is not None
    async with await aio_pika.connect(settings.amqp_url) as connection:
        yield await connection.channel()


async def received(broker: Broker) -> "asyncio.Queue[bytes]":
    """What the jobs queue hands a consumer, from now on."""
    bodies: asyncio.Queue[bytes] = asyncio.Queue()

    async def take(delivery: Delivery) -> Outcome:
        await bodies.put(delivery.body)
        return Outcome.ACK

    await broker.consume_jobs(take, prefetch=10)
    return bodies


async def test_a_delayed_message_arrives_after_its_delay_queue_expired(
    broker: Broker, settings: Settings
) -> None:
    bodies = await received(broker)
    first, second = (JobMessage(f"job-{n}", JobKind.COVER_LETTER) for n in (1, 2))
    await broker.publish_job(first, delay=1)
    assert await asyncio.wait_for(bodies.get(), 10) == first.to_json()

    async with queue_admin(settings) as admin:  # as RabbitMQ does after x-expires
        await admin.queue_delete(f"{settings.amqp_prefix}jobs.delay.1s")
    await broker.publish_job(second, delay=1)

    assert await asyncio.wait_for(bodies.get(), 10) == second.to_json()


async def test_a_message_no_queue_takes_is_not_counted_as_published(
    broker: Broker, settings: Settings
) -> None:
    async with queue_admin(settings) as admin:  # an operator deletes the jobs queue
        await admin.queue_delete(f"{settings.amqp_prefix}jobs")

    with pytest.raises(BrokerUnavailable):
        await broker.publish_job(JobMessage("job-1", JobKind.COVER_LETTER))


async def test_each_connection_names_its_process_for_the_operator(
    broker: Broker, settings: Settings
) -> None:
    listed = await asyncio.to_thread(
        subprocess.run,
        ["rabbitmqctl", "-q", "list_connections", "client_properties"],
        capture_output=True,
        text=True,
        check=True,
    )

    process = f"{socket.gethostname()}:{os.getpid()} {settings.amqp_prefix}jobs"
    for role in ("careerops-publish", "careerops-consume"):
        assert f"{role} {process}" in listed.stdout, role


async def test_a_publish_left_unconfirmed_makes_the_broker_unready_until_one_is_confirmed(
    broker: Broker, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A broker gone silent keeps the connection up until its heartbeats run out: /readyz
    # said "ready" for half a minute while every createCoverLetter waited 5 s.
    assert isinstance(broker, RabbitBroker)
    broker.publish_timeout = 0.5
    answered = aio_pika.Exchange.publish

    async def silent(*args: object, **kwargs: object) -> None:
        await asyncio.Event().wait()

    monkeypatch.setattr(aio_pika.Exchange, "publish", silent)
    with pytest.raises(BrokerUnavailable):
        await broker.publish_job(JobMessage("job-1", JobKind.COVER_LETTER))
    unready = await broker.ready()
    await asyncio.sleep(1.1)  # twice the timeout, and no publish since: asked again
    ready_again = await broker.ready()
    with pytest.raises(BrokerUnavailable):
        await broker.publish_job(JobMessage("job-2", JobKind.COVER_LETTER))
    monkeypatch.setattr(aio_pika.Exchange, "publish", answered)
    await broker.publish_job(JobMessage("job-3", JobKind.COVER_LETTER))

    assert (unready, ready_again, await broker.ready()) == (False, True, True)
