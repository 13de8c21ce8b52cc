"""Ending background tasks, and telling their own cancellation from a library's."""

import asyncio
import contextlib
from typing import Any


async def cancel_and_wait(task: "asyncio.Future[Any]") -> None:
    """Cancel ``task`` and wait until it has ended, so nothing of it outlives the caller."""
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def cancelled_from_outside() -> bool:
    """Whether a CancelledError being handled is the running task's own cancellation.

    aio-pika cancels the futures of what waits on a connection it gives up on (missed
    heartbeats): the CancelledError that comes out of a publish then ends no task, and
    taken for one, it ended an HTTP request in a bare 500 and a worker's sweep for good.
    """
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def error_read(future: "asyncio.Future[Any]") -> None:
    """A done callback for work left to finish in the background, whose failure is told
    elsewhere (an outage's lines): its error read, so asyncio does not log it again as
    never retrieved."""
    if not future.cancelled():
        future.exception()
