"""431 for HTTP request heads over a limit: uvicorn's httptools protocol reads heads of
any size (four requests with a 100 MB header took the API from 432 MiB to 1.7 GiB, and
one of 40 MB held the event loop for over a second). h11 caps them, but parses in Python.
"""

from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

#: a request line and headers: a JWT and the browser's own headers take 1-4 KiB
MAX_HEAD_BYTES = 64 * 1024
#: how long the rest of a refused head is read and dropped before the connection closes
LINGER_SECONDS = 5.0

_REFUSAL = b"Request header fields too large.\n"
_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"content-length: " + str(len(_REFUSAL)).encode() + b"\r\n"
    b"connection: close\r\n\r\n" + _REFUSAL
)


class _HeadTooLarge(Exception):
    pass


class BoundedHeadProtocol(HttpToolsProtocol):
    """httptools' protocol, answering 431 to a request whose head passes ``MAX_HEAD_BYTES``.

    A head still arriving is refused once more than that has come in without its end, so
    it is never all in memory; one that came whole is measured as the parser ends it. A
    websocket's handshake is such a head too.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._reading_head = True
        self._head_bytes = 0
        self._too_large = False

    def data_received(self, data: bytes) -> None:
        if self._too_large:
            return  # the rest of a refused head, dropped
        if self._reading_head:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._reading_head and self._head_bytes > MAX_HEAD_BYTES and not self._too_large:
            self._too_large = True
            self._refuse()

    def on_headers_complete(self) -> None:
        self._reading_head = False
        size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if size > MAX_HEAD_BYTES:
            # Raised through the parser, which uvicorn answers with send_400_response.
            self._too_large = True
            raise _HeadTooLarge
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._reading_head, self._head_bytes = True, 0

    def send_400_response(self, msg: str) -> None:
        if self._too_large:
            self._refuse()
        else:
            super().send_400_response(msg)

    def _refuse(self) -> None:
        if self.transport.is_closing():
            return
        self.logger.warning("A request's head passed %d bytes: refused.", MAX_HEAD_BYTES)
        self.transport.write(_TOO_LARGE)
        self.transport.write_eof()
        # Closed on bytes it has not read, the socket would be reset, and the client, still
        # sending its head, would lose the answer: read and drop them for a while first.
        self.loop.call_later(LINGER_SECONDS, self.transport.close)
