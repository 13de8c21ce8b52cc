"""Waiting in tests for a condition the server reaches on its own time."""

import asyncio
import time
from collections.abc import Awaitable, Callable


async def until(check: Callable[[], bool], timeout: float = 10) -> None:
    """Return once ``check()`` holds; fail after ``timeout`` seconds (polled: the condition
    lives in the server's state, which signals nothing)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"still not true after {timeout} s: {check}")
        await asyncio.sleep(0.01)


async def until_async(check: Callable[[], Awaitable[bool]], timeout: float = 10) -> None:
    """``until`` for a condition that must be asked for (a row, a broker's count)."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"still not true after {timeout} s: {check}")
        await asyncio.sleep(0.05)
