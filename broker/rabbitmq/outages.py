"""A lost RabbitMQ connection is told once, then every half minute, then once when it is back.

aio-pika and aiormq log each failed attempt of their reconnection loop, an ERROR and two
more lines a second for each connection, with tracebacks when the broker goes: an outage
of a few minutes buried everything else a process logged. Their lines about the loop are
dropped (``ReconnectNoise``) and each connection says what happened itself.
"""

import logging
import time
from collections.abc import Callable
from typing import Any

from aio_pika.abc import AbstractRobustConnection

log = logging.getLogger(__name__)

#: how often a connection that is still down says so
REMIND_EVERY_SECONDS = 30.0


class ConnectionOutages:
    """Logs the outages of one robust connection: lost, still down, back."""

    def __init__(
        self,
        name: str,
        *,
        remind_every: float = REMIND_EVERY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.remind_every = remind_every
        self._clock = clock
        #: when the current outage began, None while connected
        self.down_since: float | None = None
        self._reminded_at = 0.0
        self._closing = False

    def watch(self, connection: AbstractRobustConnection) -> None:
        connection.close_callbacks.add(self.closed)
        connection.reconnect_callbacks.add(self.restored)

    def closing(self) -> None:
        """The service closes the connection itself: that is no outage."""
        self._closing = True

    def closed(self, _connection: Any, error: BaseException | None = None) -> None:
        """Called for the first loss and again as attempts to reconnect fail."""
        if self._closing:
            return
        now = self._clock()
        if self.down_since is None:
            self.down_since = self._reminded_at = now
            log.warning("RabbitMQ connection %s lost (%s); reconnecting", self.name, _reason(error))
            return
        if now - self._reminded_at >= self.remind_every:
            self._reminded_at = now
            log.warning(
                "RabbitMQ connection %s still down after %.0f s (%s)",
                self.name,
                now - self.down_since,
                _reason(error),
            )

    def restored(self, _connection: Any) -> None:
        if self.down_since is None:
            return
        log.warning(
            "RabbitMQ connection %s back after %.1f s", self.name, self._clock() - self.down_since
        )
        self.down_since = None


def _reason(error: BaseException | None) -> str:
    if error is None:
        return "closed"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


class ReconnectNoise(logging.Filter):
    """Drops the libraries' lines about a connection's loss and its reconnection loop.

    Matched by their message templates, so anything else those loggers say still shows;
    ``tests/faults/test_broker_outage.py`` fails if a new version words them otherwise.
    """

    TEMPLATES = {
        "aiormq.connection": (
            "error when creating transport",
            "Unexpected connection close from remote",
            "Cancelling cause reader exited abnormally",
        ),
        "aio_pika.robust_connection": (
            "Connection to %s closed. Reconnecting",
            'Connection attempt to "%s" failed',
        ),
    }

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "aio_pika.tools":
            return not _is_channel_close_callback(record)
        templates = self.TEMPLATES.get(record.name, ())
        return not (isinstance(record.msg, str) and record.msg.startswith(templates))


def _is_channel_close_callback(record: logging.LogRecord) -> bool:
    # A robust channel's close callback fails while its connection is already gone: an
    # error aio-pika logs about its own callback, on every outage, that it recovers from.
    args = record.args if isinstance(record.args, tuple) else ()
    callback = getattr(args[0], "callback", None) if args else None
    return (
        getattr(callback, "__name__", None) == "_on_close"
        and "Channel" in type(getattr(callback, "__self__", None)).__name__
    )


_NOISE = ReconnectNoise()


def quiet_reconnect_noise() -> None:
    """Install the filter on the libraries' loggers (once; later calls do nothing)."""
    for name in (*ReconnectNoise.TEMPLATES, "aio_pika.tools"):
        logger = logging.getLogger(name)
        if _NOISE not in logger.filters:
            logger.addFilter(_NOISE)
