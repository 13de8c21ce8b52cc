"""A send the server could not finish at once keeps its place among the socket's sends."""

import asyncio
from collections.abc import Coroutine
from typing import Any

import pytest

from api.socket_adapter import _finish


class Socket:
    """A server's send as uvicorn's: wait until the socket may be written, then write."""

    def __init__(self) -> None:
        self.writable = asyncio.Event()
        self.written: list[str] = []
        self.abandoned: list[str] = []

    async def send(self, frame: str) -> None:
        try:
            await self.writable.wait()
        except asyncio.CancelledError:
            self.abandoned.append(frame)
            raise
        self.written.append(frame)


def first_step(sending: Coroutine[Any, Any, None]) -> Any:
    """What ``send_now`` does: one step; what the coroutine stopped on, if it did."""
    return sending.send(None)


async def test_a_stopped_send_is_finished_before_a_send_that_waited_after_it() -> None:
    socket = Socket()
    sending = socket.send("next 1")
    finishing = asyncio.ensure_future(_finish(sending, first_step(sending)))
    later = asyncio.ensure_future(socket.send("complete 1"))
    await asyncio.sleep(0)
    assert socket.written == []

    socket.writable.set()
    await asyncio.gather(finishing, later)

    assert socket.written == ["next 1", "complete 1"]


async def test_a_send_that_stops_several_times_is_run_to_its_end() -> None:
    steps: list[str] = []

    async def send() -> None:
        await asyncio.sleep(0)  # a bare yield
        steps.append("after a turn")
        await asyncio.sleep(0.01)  # a future
        steps.append("after a timer")

    sending = send()
    await _finish(sending, first_step(sending))

    assert steps == ["after a turn", "after a timer"]


async def test_cancelling_the_finishing_task_cancels_the_send_where_it_waits() -> None:
    socket = Socket()
    sending = socket.send("next 1")
    finishing = asyncio.ensure_future(_finish(sending, first_step(sending)))
    await asyncio.sleep(0)

    finishing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await finishing

    assert socket.abandoned == ["next 1"] and socket.written == []
    socket.writable.set()
    await asyncio.sleep(0)
    assert socket.written == []
