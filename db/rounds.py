"""Background work done in rounds (the sweep, the purge, the quiet-subscription check)."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from db.connection import DatabaseUnavailable

log = logging.getLogger(__name__)


async def every(
    seconds: float,
    one_round: Callable[[], Awaitable[object]],
    *,
    name: str,
    wait_first: bool = False,
) -> None:
    """Run ``one_round`` every ``seconds`` until cancelled.

    A database outage is logged as a warning and waited out; any other failure is logged
    with its traceback. Neither stops the rounds.
    """
    if wait_first:
        await asyncio.sleep(seconds)
    while True:
        try:
            await one_round()
        except DatabaseUnavailable as e:
            log.warning("%s: %s", name, e)
        except Exception:
            log.exception("%s failed", name)
        await asyncio.sleep(seconds)
