"""Reaching a dependency at start: an API or a worker may start before PostgreSQL or
RabbitMQ is up (a host's boot, a container restarted beside its broker, a chaos run).

Such a process used to die at its first failed attempt, with a traceback, and leave its
restart to whatever supervises it. It now tries again every second for up to
``CAREEROPS_STARTUP_WAIT_SECONDS`` (one line when it starts waiting, one when it got
through), then gives up with one line that names what it could not reach. A refusal that
waiting cannot cure (a wrong password) ends it at once, in one line too.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from core.outages import reason

log = logging.getLogger(__name__)
T = TypeVar("T")


class CannotConnect(Exception):
    """A process could not connect to a dependency at start; the message names it and why,
    in one line."""


class Unreachable(CannotConnect):
    """A dependency did not answer within the startup wait."""


class Refused(CannotConnect):
    """A dependency answered with a refusal that waiting cannot cure (a wrong password, a
    database or vhost that does not exist)."""


#: the longest one attempt may take: a server that takes the connection but never answers
#: (a hung broker, a half-open network path) must not hold a start for ever; an attempt
#: ends by the wait's deadline, but is given MIN_ATTEMPT_SECONDS at least
ATTEMPT_SECONDS = 10.0
MIN_ATTEMPT_SECONDS = 5.0


async def reach(
    name: str,
    connect: Callable[[float], Awaitable[T]],
    *,
    within: float,
    transient: Callable[[BaseException], bool],
    refusals: tuple[type[BaseException], ...] = (),
    retry_every: float = 1.0,
    attempt_seconds: float = ATTEMPT_SECONDS,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """``connect(timeout)``, tried again every ``retry_every`` s for up to ``within`` s while
    it fails in a way ``transient`` says may pass (a timed-out attempt may); ``Unreachable``
    once that time is up, ``Refused`` for one of ``refusals`` that is not transient.

    ``connect`` bounds its attempt itself, by its library's own timeout: cancelled from
    outside, aio-pika's robust connection keeps its connecting task alive, retrying.
    """
    started = clock()
    waiting = False
    while True:
        # An attempt ends by the deadline, but gets a few seconds at least: aio-pika keeps
        # the connection's timeout for its reconnections, which a busy broker can take long.
        left = within - (clock() - started)
        timeout = min(attempt_seconds, max(left, MIN_ATTEMPT_SECONDS))
        try:
            result = await connect(timeout)
        except Exception as e:
            if not transient(e):
                if isinstance(e, refusals):
                    raise Refused(f"{name} refused the connection ({reason(e)})") from e
                raise
            waited = clock() - started
            if waited >= within:
                after = f" after {waited:.0f} s" if within > 0 else ""  # one try: no wait
                raise Unreachable(f"{name} not reachable{after} ({reason(e)})") from e
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
