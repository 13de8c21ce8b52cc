"""Job events from the fanout exchange, through this process's own exclusive queue."""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractRobustConnection

from broker.base import RESYNC, Resync
from broker.rabbitmq.outages import away_as_unavailable
from broker.rabbitmq.topology import Topology, wait_until_broken
from core.events import JobEvent

log = logging.getLogger(__name__)


async def job_events(
    connection: AbstractRobustConnection, names: Topology, *, backlog_bytes: int
) -> AsyncIterator[JobEvent | Resync]:
    """Every event, a ``Resync`` after each reconnect (events may have been lost meanwhile).

    The broker keeps at most ``backlog_bytes`` of events this process has not read and
    drops the oldest beyond that: an API that stops reading (hung, or starved of CPU)
    must not make RabbitMQ hold every event of every job meanwhile. What is dropped is
    found as other lost events are: a subscriber that sees a gap in a job's ``seq``
    re-reads the row, and the quiet-subscription check finds a job whose last event
    never came.
    """
    # None: the consumer is broken and must be reopened.
    inbox: asyncio.Queue[JobEvent | Resync | None] = asyncio.Queue()

    def on_reconnect(*_: object) -> None:
        inbox.put_nowait(RESYNC)

    connection.reconnect_callbacks.add(on_reconnect)
    try:
        reopened = False
        while True:
            with away_as_unavailable("listening for events"):
                channel, queue = await _listen(connection, names, inbox, backlog_bytes)
            if reopened:
                # Only now that the new queue is bound: a re-read from here on misses nothing.
                inbox.put_nowait(RESYNC)
            broken = asyncio.create_task(wait_until_broken(channel, connection, own_queue=queue))
            # Told through the inbox, not by waiting on both: that was a task per event.
            broken.add_done_callback(lambda _: inbox.put_nowait(None))
            try:
                while (item := await inbox.get()) is not None:
                    yield item
            finally:
                broken.cancel()
                with contextlib.suppress(Exception):  # broken already: closing is tidying up
                    await channel.close()
            log.warning("the event consumer did not come back after a reconnect; reopening it")
            reopened = True
    finally:
        connection.reconnect_callbacks.discard(on_reconnect)


async def _listen(
    connection: AbstractRobustConnection,
    names: Topology,
    inbox: "asyncio.Queue[JobEvent | Resync | None]",
    backlog_bytes: int,
) -> tuple[AbstractChannel, str]:
    channel = await connection.channel()
    exchange = await channel.declare_exchange(
        names.events, aio_pika.ExchangeType.FANOUT, durable=True
    )
    # A name of our own, so the robust channel re-declares the same queue after a reconnect.
    name = f"{names.events}.{uuid.uuid4().hex}"
    queue = await channel.declare_queue(
        name,
        exclusive=True,
        auto_delete=True,
        arguments={"x-max-length-bytes": backlog_bytes, "x-overflow": "drop-head"},
    )
    await queue.bind(exchange)

    async def on_event(message: AbstractIncomingMessage) -> None:
        try:
            events = JobEvent.many_from_json(message.body)
        except (ValueError, KeyError, TypeError) as e:
            log.warning("dropping a malformed event: %r", e)
            return
        for event in events:
            inbox.put_nowait(event)

    await queue.consume(on_event, no_ack=True)
    return channel, name
