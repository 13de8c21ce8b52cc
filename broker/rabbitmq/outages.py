"""A lost RabbitMQ connection is told as an ``Outage``: once, every half minute, once back.

aio-pika and aiormq log each failed attempt of their reconnection loop, an ERROR and two
more lines a second for each connection, with tracebacks when the broker goes: an outage
of a few minutes buried everything else a process logged. Their lines about the loop are
dropped (``ReconnectNoise``) and each connection says what happened itself.
"""

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import aiormq
from aio_pika.abc import AbstractRobustConnection

from broker.base import BrokerUnavailable
from core.outages import Outage
from core.tasks import cancelled_from_outside


class ConnectionOutages:
    """Tells the outages of one robust connection, but not its closing by the service."""

    def __init__(self, name: str) -> None:
        self.outage = Outage(f"RabbitMQ connection {name}", meanwhile="reconnecting")
        self._closing = False

    def watch(self, connection: AbstractRobustConnection) -> None:
        connection.close_callbacks.add(self.closed)
        connection.reconnect_callbacks.add(self.restored)

    def closing(self) -> None:
        """The service closes the connection itself: that is no outage."""
        self._closing = True

    def closed(self, _connection: Any, error: BaseException | None = None) -> None:
        """Called for the first loss and again as attempts to reconnect fail."""
        if not self._closing:
            self.outage.failed(error)

    def restored(self, _connection: Any) -> None:
        self.outage.recovered()


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


@contextlib.contextmanager
def away_as_unavailable(what: str) -> Iterator[None]:
    """What a connection that is away raises inside, as ``BrokerUnavailable``.

    aio-pika answers a call on a connection between two attempts with RuntimeError
    ("Connection was not opened"), and cancels what waits on one it gives up on (missed
    heartbeats): taken for the caller's own cancellation, a scrape of ``/metrics`` ended
    in a 500 and an API's event listener logged a traceback a second.
    """
    try:
        yield
    except asyncio.CancelledError:
        if cancelled_from_outside():
            raise  # the caller's own
        raise BrokerUnavailable(f"{what}: the connection was given up") from None
    except (RuntimeError, OSError, aiormq.exceptions.AMQPError) as e:
        raise BrokerUnavailable(f"{what}: {e!r}") from e
