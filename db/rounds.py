"""Background work done in rounds (the sweep, the purge, the quiet-subscription check)."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from core.outages import Outage
from db.connection import DatabaseUnavailable

log = logging.getLogger(__name__)


async def every(
    seconds: float,
    one_round: Callable[[], Awaitable[object]],
    *,
    name: str,
    wait_first: bool = False,
    outage: Outage | None = None,
) -> None:
    """Run ``one_round`` every ``seconds`` until cancelled.

    A database outage is waited out: told through ``outage`` (lost, still down every half
    minute, back), which the process's other users of the database share, or else as a
    warning a round. Any other failure is logged with its traceback. Neither stops the
    rounds.
    """
    if wait_first:
        await asyncio.sleep(seconds)
    while True:
        try:
            await one_round()
        except DatabaseUnavailable as e:
            if outage is None:
                log.warning("%s: %s", name, e)
            else:
                outage.failed(e)
        except Exception:
            log.exception("%s failed", name)
        else:
            if outage is not None:
                outage.recovered()
        await asyncio.sleep(seconds)
