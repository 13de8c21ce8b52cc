"""A helper task beside a block: its failure stops the block; once the block is over,
nothing of the helper is left to report."""

import asyncio
import gc
from typing import Any

import pytest

from worker.beside import run_beside


class Fenced(Exception):
    pass


async def test_a_helper_failing_as_it_is_stopped_leaves_no_unread_error() -> None:
    # The pause watcher's flush, fenced out as the job ended, was logged at ERROR as a
    # "Task exception was never retrieved" although the job completed.
    reported: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    started = asyncio.Event()

    async def flushes_until_stopped() -> None:
        try:
            started.set()
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            raise Fenced from None

    try:
        async with run_beside(flushes_until_stopped(), name="flush-after-pauses"):
            await started.wait()
        gc.collect()
        await asyncio.sleep(0)
    finally:
        loop.set_exception_handler(None)

    assert reported == []


async def test_a_helper_failing_while_the_block_runs_stops_the_block_with_its_error() -> None:
    async def fails() -> None:
        raise Fenced

    with pytest.raises(Fenced):
        async with run_beside(fails(), name="flush-after-pauses"):
            await asyncio.Event().wait()
