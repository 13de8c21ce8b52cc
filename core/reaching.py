"""Reaching a dependency at start: an API or a worker may start before PostgreSQL or
RabbitMQ is up (a host's boot, a container restarted beside its broker, a chaos run).

Refused at once, such a process died with a traceback and left its restart to whatever
supervises it. It now tries again every second for up to ``CAREEROPS_STARTUP_WAIT_SECONDS``
(one line when it starts waiting, one when it got through), then gives up with one line
that names what it could not reach. A refusal that waiting cannot cure (a wrong password)
ends it at once.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from core.outages import reason

log = logging.getLogger(__name__)
T = TypeVar("T")


class Unreachable(Exception):
    """A dependency did not answer within the startup wait; the message names it."""


async def reach(
    name: str,
    connect: Callable[[], Awaitable[T]],
    *,
    within: float,
    transient: Callable[[BaseException], bool],
    retry_every: float = 1.0,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """``connect()``, tried again every ``retry_every`` s for up to ``within`` s while it
    fails in a way ``transient`` says may pass; ``Unreachable`` once that time is up."""
    started = clock()
    waiting = False
    while True:
        try:
            result = await connect()
        except Exception as e:
            if not transient(e):
                raise
            waited = clock() - started
            if waited >= within:
                raise Unreachable(f"{name} not reachable after {waited:.0f} s ({reason(e)})") from e
            if not waiting:
                waiting = True
                log.warning(
                    "%s not reachable (%s); trying again for up to %.0f s", name, reason(e), within
                )
            await asyncio.sleep(min(retry_every, within - waited))
        else:
            if waiting:
                log.warning("%s reached after %.1f s", name, clock() - started)
            return result
