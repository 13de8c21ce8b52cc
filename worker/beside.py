"""A helper task that runs beside a block of code and stops it when the helper fails."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine
from typing import Any


@contextlib.asynccontextmanager
async def run_beside(
    helper: Coroutine[Any, Any, None], *, name: str, stop_under: asyncio.Lock | None = None
) -> AsyncIterator[None]:
    """Run ``helper`` while the block runs; if it raises, the block is cancelled and the
    helper's error is raised in its place. The helper is cancelled when the block ends,
    while holding ``stop_under`` if given (so never in the middle of what that guards).
    """
    block = asyncio.current_task()
    assert block is not None
    failures: list[BaseException] = []

    def stop_block(task: asyncio.Task[None]) -> None:
        if not task.cancelled() and (error := task.exception()) is not None:
            failures.append(error)
            block.cancel()

    task = asyncio.create_task(helper, name=name)
    task.add_done_callback(stop_block)
    try:
        yield
    except asyncio.CancelledError:
        if not failures:
            raise
        block.uncancel()
        raise failures[0] from None
    finally:
        task.remove_done_callback(stop_block)
        async with stop_under or contextlib.nullcontext():
            task.cancel()
        await asyncio.wait({task})
        if not task.cancelled():
            # Failed as it was stopped (a flush fenced out as the job ended): the block is
            # over, and unread, the error was logged as "never retrieved" at ERROR.
            task.exception()
