"""The queues and the exchange this service declares, and a check that channels survive."""

import asyncio
from typing import Any

import aio_pika
import aiormq
from aio_pika.abc import AbstractChannel, AbstractQueue, AbstractRobustConnection

from core.outages import reason
from core.reaching import Refused

#: how often a consumer checks that its channel survived a reconnect
HEALTH_CHECK_SECONDS = 2.0


async def wait_until_broken(
    channel: AbstractChannel,
    connection: AbstractRobustConnection,
    *,
    own_queue: str | None = None,
) -> None:
    """Return once the channel stays closed while its connection is up, or once
    ``own_queue`` (a queue only this channel consumes) stays without a consumer.

    A robust channel re-opens itself after a reconnect; when that fails, the
    consumer on it would be silently gone. The channel can also come back open with
    its consumer lost (seen after a broker restart): only the queue's consumer count
    tells that apart.
    """
    suspicious = False
    while True:
        await asyncio.sleep(HEALTH_CHECK_SECONDS)
        if not connection.connected.is_set():
            suspicious = False  # the robust connection is still reconnecting
            continue
        broken = channel.is_closed or (
            own_queue is not None and not await _has_consumer(channel, own_queue)
        )
        if broken and suspicious:
            return
        suspicious = broken


async def _has_consumer(channel: AbstractChannel, queue: str) -> bool:
    try:
        # On the underlying channel: a robust channel would re-declare a passive
        # declaration after every reconnect.
        underlay = await channel.get_underlay_channel()
        declared = await underlay.queue_declare(queue, passive=True)
    except Exception:  # gone, or the channel is mid-reconnect: asked again next time
        return False
    return bool(declared.consumer_count)


class Topology:
    """Every name this service declares, under one prefix."""

    def __init__(self, prefix: str, *, quorum: bool = False) -> None:
        #: quorum queues replicate across a RabbitMQ cluster; classic ones suit one node
        self.durable_arguments: dict[str, Any] = {"x-queue-type": "quorum"} if quorum else {}
        self.jobs = f"{prefix}jobs"
        self.dead = f"{prefix}jobs.dead"
        self.events = f"{prefix}job.events"
        self.delay_prefix = f"{prefix}jobs.delay."

    def delay_queue(self, seconds: int) -> str:
        return f"{self.delay_prefix}{seconds}s"


async def declare_topology(channel: AbstractChannel, names: Topology) -> AbstractQueue:
    """Declare the durable job queues and the event exchange; returns the jobs queue.

    ``Refused`` when a queue is there already with other arguments: RabbitMQ keeps a
    queue's first declaration, so a process whose ``CAREEROPS_QUORUM_QUEUES`` differs
    cannot use it (it stopped with aiormq's traceback, saying nothing of the setting).
    """
    try:
        return await _declare(channel, names)
    except aiormq.exceptions.ChannelPreconditionFailed as e:
        raise Refused(
            f"RabbitMQ refused a queue as this process declares it ({reason(e)}):"
            " the queue was first declared otherwise, and a queue keeps its first"
            " declaration. CAREEROPS_QUORUM_QUEUES must be as it was when the queues were"
            " made (README, Scaling out), or the queues moved over empty"
        ) from e


async def _declare(channel: AbstractChannel, names: Topology) -> AbstractQueue:
    await channel.declare_queue(names.dead, durable=True, arguments=names.durable_arguments)
    jobs = await channel.declare_queue(
        names.jobs,
        durable=True,
        arguments={
            **names.durable_arguments,
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": names.dead,
        },
    )
    await channel.declare_exchange(names.events, aio_pika.ExchangeType.FANOUT, durable=True)
    return jobs
