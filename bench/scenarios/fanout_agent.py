"""The B3/B4 load-generator agent: thousands of graphql-transport-ws sockets in one process.

Each socket holds an idle subscription to a job of its own ("1"); on demand it adds
a subscription to the fan-out job ("2"). One extra socket may watch the probe job.
Event ``delta`` texts start with the publisher's monotonic clock: ``t=<seconds>|``.
"""

import asyncio
import time
from typing import Any

from bench.ops import JOB_EVENTS
from bench.wire.ws import GraphQLSocket, connect_graphql

CONNECT_CONCURRENCY = 50


class _Counter:
    def __init__(self) -> None:
        self.received = 0
        self.last = 0.0
        self.lags: list[float] = []
        self.expected = 0
        self.reached: asyncio.Event = asyncio.Event()

    def reset(self, expected: int) -> None:
        self.received, self.last, self.lags, self.expected = 0, 0.0, [], expected
        self.reached = asyncio.Event()
        if expected <= 0:
            self.reached.set()

    def hit(self, payload: dict[str, Any]) -> None:
        now = time.monotonic()
        delta = payload["data"]["jobEvents"]["delta"] or ""
        if delta.startswith("t="):
            self.lags.append((now - float(delta[2 : delta.index("|")])) * 1000)
        self.received += 1
        self.last = now
        if self.received >= self.expected:
            self.reached.set()


class FanoutAgent:
    def __init__(self, init: dict[str, Any]) -> None:
        self.host, self.port, self.token = init["host"], init["port"], init["token"]
        self.idle_jobs: list[str] = init["idle_jobs"]
        self.sockets: list[GraphQLSocket] = []
        self.probe_socket: GraphQLSocket | None = None
        self.fanned = 0
        self.fan = _Counter()
        self.probe = _Counter()
        self.snapshots: dict[tuple[int, str], asyncio.Future[None]] = {}

    def _on_next(self, index: int, op_id: str, payload: dict[str, Any]) -> None:
        waiting = self.snapshots.pop((index, op_id), None)
        if waiting is not None:
            waiting.set_result(None)  # the first result of a subscription is its SNAPSHOT
        elif op_id == "2":
            self.fan.hit(payload)
        elif op_id == "probe":
            self.probe.hit(payload)

    async def _subscribe(self, index: int, op_id: str, job_id: str) -> None:
        future = asyncio.get_running_loop().create_future()
        self.snapshots[(index, op_id)] = future
        socket = self.sockets[index] if index >= 0 else self.probe_socket
        assert socket is not None

        def done(op: str, message: dict[str, Any]) -> None:
            if not future.done():
                future.set_exception(RuntimeError(f"subscription ended: {message}"))

        socket.on_done = done
        socket.subscribe(op_id, JOB_EVENTS, {"id": job_id})
        await asyncio.wait_for(future, 60)

    async def _open(self, index: int, job_id: str, op_id: str = "1") -> None:
        socket = await connect_graphql(self.host, self.port, self.token)
        socket.on_next = lambda op, payload: self._on_next(index, op, payload)
        if index >= 0:
            self.sockets[index] = socket
        else:
            self.probe_socket = socket
        await self._subscribe(index, op_id, job_id)

    async def _many(self, jobs: list[tuple[int, str]], action: Any) -> None:
        limit = asyncio.Semaphore(CONNECT_CONCURRENCY)

        async def one(index: int, job_id: str) -> None:
            async with limit:
                await action(index, job_id)

        await asyncio.gather(*(one(index, job_id) for index, job_id in jobs))

    async def connect(self, count: int) -> int:
        start = len(self.sockets)
        self.sockets.extend([None] * count)  # type: ignore[list-item]
        await self._many([(i, self.idle_jobs[i]) for i in range(start, start + count)], self._open)
        return len(self.sockets)

    async def disconnect(self, count: int) -> int:
        """Close the last ``count`` sockets opened (their subscriptions end with them)."""
        keep = len(self.sockets) - count
        closing, self.sockets = self.sockets[keep:], self.sockets[:keep]
        for socket in closing:
            socket.socket.close()
        await asyncio.sleep(0.1)
        return len(self.sockets)

    async def fan_out(self, job_id: str, count: int) -> int:
        jobs = [(i, job_id) for i in range(self.fanned, count)]
        await self._many(jobs, lambda index, job: self._subscribe(index, "2", job))
        self.fanned = max(self.fanned, count)
        return self.fanned

    async def watch_probe(self, job_id: str) -> None:
        await self._open(-1, job_id, "probe")

    async def handle(self, command: str, arg: Any) -> Any:
        if command == "connect":
            return await self.connect(arg)
        if command == "disconnect":
            return await self.disconnect(arg)
        if command == "fan_out":
            return await self.fan_out(arg["job"], arg["count"])
        if command == "probe":
            return await self.watch_probe(arg) if arg else None
        if command == "arm":
            # Reset before the parent publishes, so no early delivery is missed.
            counter = self.fan if arg["counter"] == "fan" else self.probe
            counter.reset(arg["expected"])
            return None
        if command == "wait":
            counter = self.fan if arg["counter"] == "fan" else self.probe
            with_timeout = asyncio.wait_for(counter.reached.wait(), arg["timeout"])
            try:
                await with_timeout
            except TimeoutError:
                pass
            return {"received": counter.received, "last": counter.last, "lags": counter.lags}
        raise ValueError(f"unknown command {command!r}")

    async def close(self) -> None:
        for socket in (*self.sockets, self.probe_socket):
            if socket is not None:
                socket.socket.close()
        await asyncio.sleep(0.1)
