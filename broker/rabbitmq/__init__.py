"""RabbitMQ via aio-pika: the only package that knows AMQP."""

import asyncio
import contextlib
import logging
import math
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, TypeVar

import aio_pika
import aiormq
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
    ConsumerTag,
)
from yarl import URL

from broker.base import (
    BrokerUnavailable,
    Delivery,
    JobHandler,
    JobMessage,
    Outcome,
    Resync,
    finish_or_cancel,
)
from broker.rabbitmq.batching import Batches
from broker.rabbitmq.events import job_events
from broker.rabbitmq.outages import (
    ConnectionOutages,
    away_as_unavailable,
    quiet_reconnect_noise,
)
from broker.rabbitmq.queues import queue_depths, read_dead_letters, work_through_dead_letters
from broker.rabbitmq.topology import Topology, declare_topology, wait_until_broken
from core.events import JobEvent
from core.logs import where_it_failed
from core.metrics import BROKER_ERRORS
from core.reaching import reach
from core.settings import Settings

log = logging.getLogger(__name__)

#: aio-pika waits 5 s between reconnection attempts by default; a job service wants less
RECONNECT_INTERVAL_SECONDS = 1.0
#: aiormq asks for a heartbeat every 60 s, and RabbitMQ drops a silent connection (and
#: hands its unacked jobs to other workers) only after about three of them: a frozen
#: worker (stopped, or its host gone) held its jobs for three minutes, past their lease
HEARTBEAT_SECONDS = 10
T = TypeVar("T")


_DEFAULT_PORTS = {"amqp": 5672, "amqps": 5671}


def is_unreachable(error: BaseException) -> bool:
    """Whether connecting failed in a way that may pass (not a refused login or vhost)."""
    if isinstance(error, aiormq.exceptions.ProbableAuthenticationError):
        return False
    # OSError covers a refused or reset connection and a timed-out attempt (TimeoutError)
    return isinstance(error, (OSError, aiormq.exceptions.AMQPConnectionError))


class RabbitBroker:
    durable = True

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "",
        publish_timeout: float = 5.0,
        quorum: bool = False,
        event_backlog_bytes: int = Settings.event_backlog_bytes,
        connect_within: float = 0.0,
    ) -> None:
        self.url = url
        #: how long ``connect`` keeps trying while RabbitMQ is not reachable (0: one try)
        self.connect_within = connect_within
        self.event_backlog_bytes = event_backlog_bytes
        # publish has no timeout of its own and can hang on a broken connection
        self.publish_timeout = publish_timeout
        self.names = Topology(prefix, quorum=quorum)
        self._publisher: AbstractRobustConnection | None = None
        self._consumer: AbstractRobustConnection | None = None
        self._confirm_channel: AbstractChannel | None = None
        self._event_exchange: AbstractExchange | None = None
        self._event_batches = Batches(self._send_events)
        self._jobs_queue: AbstractQueue | None = None
        self._consumer_tag: ConsumerTag | None = None
        self._in_flight: set[asyncio.Task[None]] = set()
        #: when a publish last went unconfirmed for the whole timeout, if none was since
        self._unconfirmed_at: float | None = None
        self._watchdog: asyncio.Task[None] | None = None
        self._outages: list[ConnectionOutages] = []

    async def connect(self) -> None:
        quiet_reconnect_noise()
        # Publishing and consuming on separate connections: a blocked publisher
        # (memory or disk alarm) must never stop acks from flowing.
        self._publisher = await self._connect("careerops-publish")
        self._consumer = await self._connect("careerops-consume")
        # A message no queue takes (its queue was deleted, or expired) comes back as
        # PublishError; aio-pika's default counts it as confirmed, and it was lost.
        self._confirm_channel = await self._publisher.channel(
            publisher_confirms=True, on_return_raises=True
        )
        await declare_topology(self._confirm_channel, self.names)
        event_channel = await self._publisher.channel(publisher_confirms=False)
        self._event_exchange = await event_channel.declare_exchange(
            self.names.events, aio_pika.ExchangeType.FANOUT, durable=True
        )

    async def _connect(self, name: str) -> AbstractRobustConnection:
        # RabbitMQ's management UI and rabbitmqctl show this name: which process it is
        label = f"{name} {socket.gethostname()}:{os.getpid()} {self.names.jobs}"
        options: dict[str, Any] = {"client_properties": {"connection_name": label}}
        address = URL(self.url)
        if "reconnect_interval" not in address.query:
            options["reconnect_interval"] = RECONNECT_INTERVAL_SECONDS
        if "heartbeat" not in address.query:
            options["heartbeat"] = HEARTBEAT_SECONDS
        connection: AbstractRobustConnection = await reach(
            f"RabbitMQ at {address.host}:{address.port or _DEFAULT_PORTS[address.scheme]}"
            f"{address.path}",
            lambda timeout: _connect_robust(self.url, timeout=timeout, **options),
            within=self.connect_within,
            transient=is_unreachable,
            # a refused login (ACCESS_REFUSED) or vhost (NOT_ALLOWED)
            refusals=(aiormq.exceptions.AMQPError,),
        )
        outages = ConnectionOutages(name)
        outages.watch(connection)
        self._outages.append(outages)
        return connection

    async def disconnect(self) -> None:
        for outages in self._outages:
            outages.closing()
        await self.stop_consuming()
        for connection in (self._consumer, self._publisher):
            if connection is not None:
                await connection.close()
        self._consumer = self._publisher = None

    async def publish_job(
        self,
        message: JobMessage,
        *,
        delay: float = 0.0,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        routing_key = self.names.jobs
        if delay > 0:
            try:
                async with asyncio.timeout(self.publish_timeout):
                    with away_as_unavailable("delay queue not declared"):
                        queue = await self._delay_queue(math.ceil(delay))
            except TimeoutError as e:
                raise BrokerUnavailable(f"delay queue not declared: {e!r}") from e
            routing_key = queue.name
        await self._publish_confirmed(
            aio_pika.Message(
                message.to_json(),
                headers=dict(headers or {}),
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                content_type="application/json",
                message_id=str(uuid.uuid4()),
            ),
            routing_key,
        )

    async def publish_raw(self, body: bytes) -> None:
        """Put any bytes on the jobs queue (tests use it for poison messages)."""
        await self._publish_confirmed(
            aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT), self.names.jobs
        )

    @property
    def publishing(self) -> bool:
        """Whether the publishing connection is up (False while it reconnects)."""
        return self._publisher is not None and self._publisher.connected.is_set()

    async def _publish_confirmed(self, message: aio_pika.Message, routing_key: str) -> None:
        channel = self._require(self._confirm_channel)
        # aiormq matches a returned message to its publish by this id (without one, a
        # return would leave the publish waiting for its confirm until the timeout)
        message.message_id = message.message_id or str(uuid.uuid4())
        if not self.publishing:
            raise BrokerUnavailable("the broker connection is down")
        try:
            # asyncio.timeout, not wait_for: in Python 3.11 wait_for makes a task per call.
            async with asyncio.timeout(self.publish_timeout):
                # a connection given up while the confirm is awaited cancels the wait
                with away_as_unavailable(f"publish to {routing_key} not confirmed"):
                    await channel.default_exchange.publish(message, routing_key, mandatory=True)
        except TimeoutError as e:
            self._unconfirmed_at = time.monotonic()
            raise BrokerUnavailable(f"publish to {routing_key} not confirmed: {e!r}") from e
        self._unconfirmed_at = None

    async def _delay_queue(self, seconds: int) -> AbstractQueue:
        """The queue that holds a message ``seconds``, then hands it to the jobs queue.

        One queue per delay: a per-message TTL would wait behind longer ones at the head.
        Declared before every delayed publish (a retry's, so a round trip per failed
        attempt): RabbitMQ deletes a delay queue unused for a minute, and one remembered
        from before silently lost the messages sent to it.
        """
        channel = self._require(self._confirm_channel)
        return await channel.declare_queue(
            self.names.delay_queue(seconds),
            durable=True,
            arguments={
                "x-message-ttl": seconds * 1000,
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": self.names.jobs,
                "x-expires": seconds * 1000 + 60_000,
            },
        )

    async def consume_jobs(self, handler: JobHandler, *, prefetch: int) -> None:
        async def on_message(message: AbstractIncomingMessage) -> None:
            # A task of its own, not aio-pika's: a channel that closes cancels the tasks it
            # started, and a job whose worker's connection only dropped for a moment is
            # still this worker's to write (its message, redelivered, waits: ``db.workers``).
            job = asyncio.create_task(self._handle(handler, message))
            self._in_flight.add(job)
            job.add_done_callback(self._in_flight.discard)
            await asyncio.shield(job)

        async def start() -> AbstractChannel:
            channel = await self._require(self._consumer).channel()
            await channel.set_qos(prefetch_count=prefetch)
            self._jobs_queue = await declare_topology(channel, self.names)
            self._consumer_tag = await self._jobs_queue.consume(on_message)
            return channel

        channel = await start()
        self._watchdog = asyncio.create_task(self._keep_consuming(channel, start))

    async def _keep_consuming(
        self, channel: AbstractChannel, start: Callable[[], Awaitable[AbstractChannel]]
    ) -> None:
        """Restart the consumer if its channel was not restored after a reconnect."""
        connection = self._require(self._consumer)
        while True:
            await wait_until_broken(channel, connection)
            log.warning("the jobs channel did not come back after a reconnect; reopening it")
            with contextlib.suppress(Exception):  # broken already: closing is tidying up
                await channel.close()
            try:
                channel = await start()
            except Exception as e:
                log.warning("could not reopen the jobs consumer: %r", e)

    async def _handle(self, handler: JobHandler, message: AbstractIncomingMessage) -> None:
        headers = {
            key: value.decode() if isinstance(value, bytes) else str(value)
            for key, value in (message.headers or {}).items()
        }
        delivery = Delivery(
            body=message.body, redelivered=bool(message.redelivered), headers=headers
        )
        try:
            outcome = await handler(delivery)
        except asyncio.CancelledError:
            # Shutting down past the grace period: hand the job to another worker now.
            with contextlib.suppress(Exception):  # a lost channel hands the job back too
                await message.nack(requeue=True)
            raise
        except Exception as e:
            log.error("job handler raised; requeueing the message: %s", where_it_failed(e))
            outcome = Outcome.REQUEUE
        try:
            if outcome is Outcome.ACK:
                await message.ack()
            elif outcome is Outcome.REQUEUE:
                await message.nack(requeue=True)
            else:
                await message.reject(requeue=False)
        except Exception as e:
            # The channel died: RabbitMQ redelivers the message, and a job that ended is
            # skipped then. Counted, not told per job: the outage is told by its connection.
            BROKER_ERRORS.labels("settle").inc()
            log.debug("could not settle message (%s): %r", outcome.value, e)

    async def stop_consuming(self, grace: float | None = None) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        if self._jobs_queue is not None and self._consumer_tag is not None:
            await self._cancel_consumer(self._jobs_queue, self._consumer_tag)
            self._consumer_tag = None
        await finish_or_cancel(self._in_flight, grace)

    async def _cancel_consumer(self, queue: AbstractQueue, tag: ConsumerTag) -> None:
        cancel = queue.cancel(tag)
        if self._consumer is not None and self._consumer.connected.is_set():
            try:
                await asyncio.wait_for(cancel, 5)
            except Exception as e:
                log.warning("could not cancel the consumer: %r", e)
            return
        # Down, the broker has dropped the consumer with its channel, and a CancelOk could
        # come only after a reconnect. The robust queue forgets the consumer at the cancel's
        # first step, so a reconnect during the grace does not restore it; the rest of the
        # cancel is not waited for.
        cancelling = asyncio.ensure_future(cancel)
        await asyncio.sleep(0)
        cancelling.cancel()

    async def publish_event(self, event: JobEvent) -> None:
        self._require(self._event_exchange)
        if not self.publishing:
            # Counted, not logged: the outage is told by its connection (``outages``), and a
            # streaming worker would log each of its ten flushes a second per job.
            BROKER_ERRORS.labels("publish_event").inc()
            log.debug("event %s/%s dropped: the broker connection is down", event.job_id, event.seq)
            return
        try:
            with away_as_unavailable("events not published"):
                await self._event_batches.publish(event.to_json())
        except Exception as e:
            # An event lost here shows up as a seq gap, and subscribers re-read the row.
            BROKER_ERRORS.labels("publish_event").inc()
            # The connection lost as it went, or its channel not yet back after it: the
            # outage is told by the connection, not per event as above.
            told = log.debug if isinstance(e, BrokerUnavailable) else log.warning
            told("event %s/%s not published: %r", event.job_id, event.seq, e)

    async def _send_events(self, body: bytes) -> None:
        exchange = self._require(self._event_exchange)
        async with asyncio.timeout(self.publish_timeout):
            # Not mandatory (aio-pika's default is): with no API listening, RabbitMQ would
            # return each event, and aiormq logs what it returns, letter text and all.
            await exchange.publish(aio_pika.Message(body), routing_key="", mandatory=False)

    def events(self) -> AsyncIterator[JobEvent | Resync]:
        return job_events(
            self._require(self._consumer), self.names, backlog_bytes=self.event_backlog_bytes
        )

    async def queue_depths(self) -> dict[str, int]:
        return await queue_depths(self._require(self._consumer), self.names)

    async def ready(self) -> bool:
        # A broker that went silent keeps its connection up until the heartbeats run out
        # (up to half a minute): a publish left unconfirmed lately says so sooner. Only
        # lately: a process its balancer no longer sends requests publishes nothing more.
        unconfirmed = self._unconfirmed_at is not None and (
            time.monotonic() - self._unconfirmed_at < 2 * self.publish_timeout
        )
        return (
            not unconfirmed
            and self.publishing
            and self._consumer is not None
            and self._consumer.connected.is_set()
        )

    async def work_through_dead_letters(self, handle: Callable[[bytes], Awaitable[bool]]) -> None:
        await work_through_dead_letters(self._require(self._consumer), self.names, handle)

    async def dead_letters(self) -> list[bytes]:
        return await read_dead_letters(self._require(self._consumer), self.names)

    @staticmethod
    def _require(value: T | None) -> T:
        if value is None:
            raise BrokerUnavailable("broker is not connected")
        return value


class VhostRefused(aiormq.exceptions.AMQPError):
    """RabbitMQ closed the connection as it opened it, which aiormq tells as a frame it did
    not expect ("Expected one of ['Connection.OpenOk'], got <Connection.Close ...>")."""


async def _connect_robust(url: str, **options: Any) -> AbstractRobustConnection:
    try:
        connection: AbstractRobustConnection = await aio_pika.connect_robust(url, **options)
    except aiormq.exceptions.InvalidFrameError as e:
        if "Connection.Close" not in str(e):
            raise
        raise VhostRefused(
            "it closed the connection as it opened: a vhost that does not exist,"
            " or a user who may not use it"
        ) from e
    return connection
