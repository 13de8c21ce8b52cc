"""Load-generator agents for B1/B2: the service over HTTP + websocket, raw aio-pika, Celery."""

import asyncio
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import aio_pika

from bench.ops import CREATE_BODY, MY_JOBS, auth_header
from bench.scenarios.loops import run_loop
from bench.wire.http import HttpPool
from bench.wire.ws import GraphQLSocket, connect_graphql


class _Tracker:
    """Futures for each job's first event after PENDING and its terminal event."""

    def __init__(self) -> None:
        self.first: dict[str, asyncio.Future[float]] = {}
        self.done: dict[str, asyncio.Future[float]] = {}

    def future(self, table: dict[str, asyncio.Future[float]], key: str) -> asyncio.Future[float]:
        future = table.get(key)
        if future is None:
            future = table[key] = asyncio.get_running_loop().create_future()
        return future

    def arrived(self, key: str, *, terminal: bool) -> None:
        now = time.monotonic()
        for table in (self.first, self.done) if terminal else (self.first,):
            future = self.future(table, key)
            if not future.done():
                future.set_result(now)

    async def wait(self, key: str) -> tuple[float, float]:
        first = await self.future(self.first, key)
        done = await self.future(self.done, key)
        del self.first[key], self.done[key]
        return first, done


class ServiceClient:
    """createCoverLetter over HTTP; a myJobs subscription reports PROCESSING and COMPLETED."""

    def __init__(self, init: dict[str, Any]) -> None:
        self.host, self.port, self.token = init["host"], init["port"], init["token"]
        self.http = HttpPool(self.host, self.port)
        self.headers = auth_header(self.token)
        self.tracker = _Tracker()
        self.socket: GraphQLSocket | None = None

    async def _setup(self) -> None:
        self.socket = await connect_graphql(self.host, self.port, self.token)
        self.socket.on_next = self._on_next
        self.socket.subscribe("jobs", MY_JOBS, {})
        await asyncio.sleep(0.2)  # the subscription registers with the hub

    def _on_next(self, op_id: str, payload: dict[str, Any]) -> None:
        job = payload["data"]["myJobs"]
        if job["status"] != "PENDING":
            self.tracker.arrived(job["id"], terminal=job["status"] == "COMPLETED")

    async def one(self) -> tuple[float, float]:
        status, body = await self.http.post_json("/graphql", CREATE_BODY, self.headers)
        if status != 200:
            raise RuntimeError(f"createCoverLetter answered {status}: {body[:200]!r}")
        job_id = json.loads(body)["data"]["createCoverLetter"]["id"]
        return await asyncio.wait_for(self.tracker.wait(job_id), 30)

    async def handle(self, command: str, arg: Any) -> Any:
        if command == "setup":
            return await self._setup()
        return await run_loop(self.one, command, arg)

    async def close(self) -> None:
        self.http.close()
        if self.socket is not None:
            self.socket.socket.close()


class RawClient:
    """The raw two-hop pipeline's client: confirmed persistent publish, event back on a fanout."""

    def __init__(self, init: dict[str, Any]) -> None:
        self.url, self.prefix = init["amqp_url"], init["prefix"]
        self.tracker = _Tracker()
        self.connection: aio_pika.abc.AbstractConnection | None = None
        self.exchange: aio_pika.abc.AbstractExchange | None = None

    async def _setup(self) -> None:
        self.connection = await aio_pika.connect(self.url)
        channel = await self.connection.channel(publisher_confirms=True)
        await channel.declare_queue(f"{self.prefix}raw.jobs", durable=True)
        self.exchange = channel.default_exchange
        events = await self.connection.channel()
        exchange = await events.declare_exchange(
            f"{self.prefix}raw.events", aio_pika.ExchangeType.FANOUT
        )
        queue = await events.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(exchange)
        await queue.consume(self._on_event, no_ack=True)

    async def _on_event(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        self.tracker.arrived(json.loads(message.body)["job_id"], terminal=True)

    async def one(self) -> tuple[float, float]:
        assert self.exchange is not None
        job_id = str(uuid.uuid4())
        body = json.dumps({"job_id": job_id, "kind": "cover_letter"}).encode()
        message = aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
        await self.exchange.publish(message, f"{self.prefix}raw.jobs", mandatory=True)
        return await asyncio.wait_for(self.tracker.wait(job_id), 30)

    async def handle(self, command: str, arg: Any) -> Any:
        if command == "setup":
            return await self._setup()
        return await run_loop(self.one, command, arg)

    async def close(self) -> None:
        if self.connection is not None:
            await self.connection.close()


class CeleryClient:
    """Celery no-op tasks with results over RPC, ``slots`` in flight (blocking API: a thread)."""

    def __init__(self, init: dict[str, Any]) -> None:
        import os

        os.environ["BENCH_AMQP_URL"] = init["amqp_url"]
        os.environ["BENCH_PREFIX"] = init["prefix"]
        # Celery's result consumer is per thread: keep every call on one thread.
        self.executor = ThreadPoolExecutor(1)

    def _closed(self, slots: int, seconds: float) -> dict[str, Any]:
        from bench.baselines.celery_app import noop

        deadline = time.monotonic() + seconds
        window = [(time.monotonic(), noop.delay()) for _ in range(slots)]
        completed = total = 0
        done_ms: list[float] = []
        while window:
            sent, result = window.pop(0)
            result.get(timeout=30)
            now = time.monotonic()
            total += 1
            if now <= deadline:
                completed += 1
                done_ms.append((now - sent) * 1000)
                window.append((time.monotonic(), noop.delay()))
        return {"completed": completed, "total": total, "done_ms": done_ms}

    async def handle(self, command: str, arg: Any) -> Any:
        loop = asyncio.get_running_loop()
        if command == "setup":
            from bench.baselines.celery_app import noop

            return await loop.run_in_executor(self.executor, lambda: noop.delay().get(timeout=30))
        return await loop.run_in_executor(self.executor, self._closed, arg["slots"], arg["seconds"])

    async def close(self) -> None:
        self.executor.shutdown(wait=False)
