"""Ending background tasks."""

import asyncio
import contextlib
from typing import Any


async def cancel_and_wait(task: "asyncio.Future[Any]") -> None:
    """Cancel ``task`` and wait until it has ended, so nothing of it outlives the caller."""
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
