"""A multi-process load generator: one agent object per process, driven by commands.

The parent sends a command to every agent at once and gets one reply from each;
it can keep working (publishing events, sampling CPU) while they run. Agents run
on uvloop when it is installed, so the client side stays cheap.
"""

import asyncio
import contextlib
import importlib
import multiprocessing
import queue
from collections.abc import Sequence
from multiprocessing.context import SpawnProcess
from typing import Any, Protocol

from bench.procs import raise_fd_limit, total_cpu_ns


class Agent(Protocol):
    async def handle(self, command: str, arg: Any) -> Any: ...

    async def close(self) -> None: ...


def _agent_main(factory: str, init: Any, inbox: Any, outbox: Any) -> None:
    raise_fd_limit()
    module, _, name = factory.rpartition(".")
    agent_type = getattr(importlib.import_module(module), name)

    async def serve() -> None:
        agent: Agent = agent_type(init)
        loop = asyncio.get_running_loop()
        try:
            while True:
                command, arg = await loop.run_in_executor(None, inbox.get)
                if command == "stop":
                    break
                try:
                    outbox.put(("ok", await agent.handle(command, arg)))
                except Exception as e:
                    outbox.put(("error", f"{type(e).__name__}: {e}"))
        finally:
            await agent.close()

    try:
        import uvloop

        uvloop.run(serve())
    except ImportError:
        asyncio.run(serve())


class AgentPool:
    """``processes`` agents of type ``factory`` (a dotted path), each built from its ``init``."""

    def __init__(self, factory: str, inits: Sequence[Any]) -> None:
        context = multiprocessing.get_context("spawn")
        self._inboxes = [context.Queue() for _ in inits]
        self._outboxes = [context.Queue() for _ in inits]
        self._processes: list[SpawnProcess] = [
            context.Process(target=_agent_main, args=(factory, init, inbox, outbox), daemon=True)
            for init, inbox, outbox in zip(inits, self._inboxes, self._outboxes, strict=True)
        ]
        for process in self._processes:
            process.start()

    @property
    def pids(self) -> list[int]:
        return [process.pid for process in self._processes if process.pid is not None]

    def cpu_ns(self) -> int:
        return total_cpu_ns(self.pids)

    async def call(self, command: str, arg: Any = None, *, per_agent: bool = False) -> list[Any]:
        """Send ``command`` to every agent (``arg[i]`` to agent i when ``per_agent``)."""
        for index, inbox in enumerate(self._inboxes):
            inbox.put((command, arg[index] if per_agent else arg))
        replies = await asyncio.gather(*(self._reply(outbox) for outbox in self._outboxes))
        errors = [value for status, value in replies if status == "error"]
        if errors:
            raise RuntimeError(f"agent {command!r} failed: {errors[0]}")
        return [value for _, value in replies]

    async def _reply(self, outbox: Any) -> tuple[str, Any]:
        while True:
            try:
                reply: tuple[str, Any] = outbox.get_nowait()
                return reply
            except queue.Empty:
                if not all(process.is_alive() for process in self._processes):
                    return ("error", "an agent process died")
                await asyncio.sleep(0.005)

    async def close(self) -> None:
        for inbox in self._inboxes:
            inbox.put(("stop", None))
        for process in self._processes:
            await asyncio.get_running_loop().run_in_executor(None, process.join, 10)
            if process.is_alive():
                process.kill()
        for channel in (*self._inboxes, *self._outboxes):
            channel.close()
            channel.join_thread()

    async def __aenter__(self) -> "AgentPool":
        return self

    async def __aexit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):
            await self.close()
