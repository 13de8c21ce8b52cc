"""Bounds on reading an HTTP request, which uvicorn's httptools protocol leaves open.

Size: httptools reads heads of any size (four requests with a 100 MB header took the API
from 432 MiB to 1.7 GiB, and one of 40 MB held the event loop for over a second); h11
caps them, but parses in Python. Time: uvicorn's only timer is keep-alive's, armed after
a response, so a connection that sends nothing, half a head or half a body stayed open
for ever, and 20,000 of them from one client took every file descriptor the API had.
"""

from asyncio import TimerHandle
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

#: a request line and headers: a JWT and the browser's own headers take 1-4 KiB
MAX_HEAD_BYTES = 64 * 1024
#: how long the rest of a refused head is read and dropped before the connection closes
LINGER_SECONDS = 5.0

_REFUSAL = b"Request header fields too large.\n"
_TIMED_OUT = b"The request did not come in time.\n"


def _answer(status_line: bytes, text: bytes) -> bytes:
    return (
        status_line + b"\r\n"
        b"content-type: text/plain; charset=utf-8\r\n"
        b"content-length: " + str(len(text)).encode() + b"\r\n"
        b"connection: close\r\n\r\n" + text
    )


_TOO_LARGE = _answer(b"HTTP/1.1 431 Request Header Fields Too Large", _REFUSAL)
_TOO_SLOW = _answer(b"HTTP/1.1 408 Request Timeout", _TIMED_OUT)


class _HeadTooLarge(Exception):
    pass


class BoundedRequestProtocol(HttpToolsProtocol):
    """httptools' protocol, with a request's head bounded in size and its reading in time.

    A head over ``MAX_HEAD_BYTES`` is answered 431: one still arriving is refused once more
    than that has come in without its end, so it is never all in memory; one that came
    whole is measured as the parser ends it. A websocket's handshake is such a head too.

    A head must come whole within ``read_seconds`` of the connection's opening or of its
    first byte (after a response, uvicorn's keep-alive timer closes an idle connection),
    and a body may not go ``read_seconds`` without a byte; otherwise the connection gets
    408 and is closed. A whole deadline for the head, as nginx's ``client_header_timeout``,
    so a head sent a byte at a time cannot hold a connection open.
    """

    read_seconds = 30.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._reading_head = True
        self._head_bytes = 0
        self._too_large = False
        self._answered = False
        #: when the head being read began, or the body being read last gave a byte; None
        #: while nothing is being read (the app is answering, or the connection is idle)
        self._reading_since: float | None = None
        #: one timer a connection, that looks at ``_reading_since`` when it fires, rather
        #: than a timer armed and cancelled per request and per piece of body (B5: 1.40
        #: CPU-ms a query without, 1.47 with those, 1.50 and 1.53 this way: no cost seen)
        self._watchdog: TimerHandle | None = None

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._reading_since = self.loop.time()
        self._watch(self.read_seconds)

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_watching()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._answered:
            return  # the rest of a refused request, dropped
        if self._reading_head:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._reading_head and self._head_bytes > MAX_HEAD_BYTES and not self._too_large:
            self._too_large = True
            self._refuse()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._reading_since is None:
            self._reading_since = self.loop.time()

    def on_headers_complete(self) -> None:
        self._reading_head = False
        size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if size > MAX_HEAD_BYTES:
            # Raised through the parser, which uvicorn answers with send_400_response.
            self._too_large = True
            raise _HeadTooLarge
        super().on_headers_complete()
        self._reading_since = self.loop.time()  # the body, if any, starts coming

    def on_body(self, body: bytes) -> None:
        self._reading_since = self.loop.time()
        super().on_body(body)

    def on_message_complete(self) -> None:
        self._reading_since = None
        super().on_message_complete()
        self._reading_head, self._head_bytes = True, 0

    def handle_websocket_upgrade(self) -> None:
        self._stop_watching()  # the transport is the websocket protocol's from now on
        super().handle_websocket_upgrade()

    def send_400_response(self, msg: str) -> None:
        if self._too_large:
            self._refuse()
        else:
            super().send_400_response(msg)

    def _watch(self, seconds: float) -> None:
        self._watchdog = self.loop.call_later(seconds, self._look)

    def _stop_watching(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None

    def _look(self) -> None:
        self._watchdog = None
        if self.transport.is_closing():
            return
        since = self._reading_since
        if since is None or self.flow.read_paused:
            # Nothing being read, or a body waiting for the app to read what came: the app
            # is slow, not the client.
            self._watch(self.read_seconds)
            return
        waited = self.loop.time() - since
        if waited < self.read_seconds:
            self._watch(self.read_seconds - waited)
            return
        self.logger.info("A request did not come within %g s: closed.", self.read_seconds)
        if self.cycle is not None and self.cycle.response_started:
            self.transport.close()  # an answer is on its way already: nothing to add
        else:
            self._answer_and_close(_TOO_SLOW)

    def _refuse(self) -> None:
        if self.transport.is_closing():
            return
        self.logger.warning("A request's head passed %d bytes: refused.", MAX_HEAD_BYTES)
        self._answer_and_close(_TOO_LARGE)

    def _answer_and_close(self, answer: bytes) -> None:
        self._answered = True
        self.transport.write(answer)
        self.transport.write_eof()
        # Closed on bytes it has not read, the socket would be reset, and the client, still
        # sending its request, would lose the answer: read and drop them for a while first.
        self.loop.call_later(LINGER_SECONDS, self.transport.close)


def bounded_request_protocol(read_seconds: float) -> type[BoundedRequestProtocol]:
    """The protocol class uvicorn is given, reading requests within ``read_seconds``."""
    return type("BoundedRequestProtocol", (BoundedRequestProtocol,), {"read_seconds": read_seconds})
