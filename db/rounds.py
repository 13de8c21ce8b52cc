"""Background work done in rounds (the sweep, the purge, the quiet-subscription check)."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from core.outages import Outage
from core.tasks import cancelled_from_outside
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
        except asyncio.CancelledError:
            if cancelled_from_outside():
                raise
            # a library's cancellation of something the round awaited: it ended the
            # rounds for good, without a line, and jobs waited for a sweep that never came
            log.warning("%s: a wait inside the round was cancelled; next round as usual", name)
        else:
            if outage is not None:
                outage.recovered()
        await asyncio.sleep(seconds)
