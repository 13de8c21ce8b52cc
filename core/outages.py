"""An outage of something the service depends on, told once, every half minute, once back.

A dependency that is down fails every attempt to use it: a connection's reconnection
loop, every job a worker takes from the queue. Logged at each, a few minutes' outage
buried everything else a process said. An ``Outage`` says it was lost (and why), that
it is still down every ``remind_every`` seconds, and that it is back after how long.
"""

import logging
import time
from collections.abc import Callable

from core.logs import unbound

log = logging.getLogger(__name__)

#: how often something that is still down says so
REMIND_EVERY_SECONDS = 30.0


class Outage:
    """The outages of one dependency, e.g. ``Outage("RabbitMQ connection careerops-publish",
    meanwhile="reconnecting")``."""

    def __init__(
        self,
        name: str,
        *,
        meanwhile: str,
        remind_every: float = REMIND_EVERY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        #: what the service does until it is back, said with the loss
        self.meanwhile = meanwhile
        self.remind_every = remind_every
        self._clock = clock
        #: when the current outage began, None while up
        self.down_since: float | None = None
        self._reminded_at = 0.0

    def failed(self, error: BaseException | None) -> None:
        """An attempt failed: the first of an outage is told, and later ones as reminders."""
        now = self._clock()
        if self.down_since is None:
            self.down_since = self._reminded_at = now
            with unbound():
                log.warning("%s lost (%s); %s", self.name, reason(error), self.meanwhile)
            return
        if now - self._reminded_at >= self.remind_every:
            self._reminded_at = now
            with unbound():
                log.warning(
                    "%s still down after %.0f s (%s)",
                    self.name,
                    now - self.down_since,
                    reason(error),
                )

    def recovered(self) -> None:
        """An attempt succeeded: an outage, if there was one, is over."""
        if self.down_since is None:
            return
        with unbound():
            log.warning("%s back after %.1f s", self.name, self._clock() - self.down_since)
        self.down_since = None


def reason(error: BaseException | None) -> str:
    """An error as a log line shows it: its type, and its message if it has one."""
    if error is None:
        return "closed"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
