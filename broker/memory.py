"""The embedded broker: the same contract as RabbitMQ, inside one process."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import replace

from broker.base import Delivery, JobHandler, JobMessage, Outcome, Resync, finish_or_cancel
from core.events import JobEvent
from core.logs import where_it_failed

log = logging.getLogger(__name__)


class MemoryBroker:
    durable = False

    def __init__(self) -> None:
        self._jobs: asyncio.Queue[Delivery] = asyncio.Queue()
        self._dead: list[bytes] = []
        self._listeners: set[asyncio.Queue[JobEvent]] = set()
        self._consumers: list[asyncio.Task[None]] = []
        self._busy: set[asyncio.Task[None]] = set()
        self._timers: set[asyncio.TimerHandle] = set()
        self._stopping = False

    async def connect(self) -> None:
        self._stopping = False

    async def disconnect(self) -> None:
        await self.stop_consuming()
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()

    async def publish_job(
        self,
        message: JobMessage,
        *,
        delay: float = 0.0,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        delivery = Delivery(body=message.to_json(), headers=dict(headers or {}))
        if delay <= 0:
            self._jobs.put_nowait(delivery)
            return
        loop = asyncio.get_running_loop()
        self._timers.add(loop.call_later(delay, self._jobs.put_nowait, delivery))

    async def publish_raw(self, body: bytes) -> None:
        """Put any bytes on the jobs queue (tests use it for poison messages)."""
        self._jobs.put_nowait(Delivery(body=body))

    async def consume_jobs(self, handler: JobHandler, *, prefetch: int) -> None:
        self._stopping = False
        self._consumers = [
            asyncio.create_task(self._consume(handler), name=f"memory-consumer-{n}")
            for n in range(prefetch)
        ]

    async def _consume(self, handler: JobHandler) -> None:
        while not self._stopping:
            delivery = await self._jobs.get()
            task = asyncio.current_task()
            assert task is not None
            self._busy.add(task)
            try:
                outcome = await handler(delivery)
            except asyncio.CancelledError:
                self._jobs.put_nowait(replace(delivery, redelivered=True))
                raise
            except Exception as e:
                log.error("job handler raised; requeueing the message: %s", where_it_failed(e))
                outcome = Outcome.REQUEUE
            finally:
                self._busy.discard(task)
            self._settle(delivery, outcome)

    def _settle(self, delivery: Delivery, outcome: Outcome) -> None:
        if outcome is Outcome.REQUEUE:
            self._jobs.put_nowait(replace(delivery, redelivered=True))
        elif outcome is Outcome.DEAD_LETTER:
            self._dead.append(delivery.body)

    async def stop_consuming(self, grace: float | None = None) -> None:
        self._stopping = True
        # Idle consumers wait on the queue: cancel them; busy ones finish their message.
        for task in self._consumers:
            if task not in self._busy:
                task.cancel()
        await finish_or_cancel(set(self._busy), grace)
        for task in self._consumers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._consumers = []

    async def publish_event(self, event: JobEvent) -> None:
        # Through JSON, as over the wire, so both backends exercise the same codec.
        copy = JobEvent.from_json(event.to_json())
        for listener in self._listeners:
            listener.put_nowait(copy)

    async def events(self) -> AsyncIterator[JobEvent | Resync]:
        listener: asyncio.Queue[JobEvent] = asyncio.Queue()
        self._listeners.add(listener)
        try:
            while True:
                yield await listener.get()
        finally:
            self._listeners.discard(listener)

    async def queue_depths(self) -> dict[str, int]:
        return {"jobs": self._jobs.qsize(), "dead": len(self._dead)}

    async def ready(self) -> bool:
        return True

    async def work_through_dead_letters(self, handle: Callable[[bytes], Awaitable[bool]]) -> None:
        for body in list(self._dead):
            if await handle(body):
                self._dead.remove(body)

    async def dead_letters(self) -> list[bytes]:
        return list(self._dead)
