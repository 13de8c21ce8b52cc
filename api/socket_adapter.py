"""A /graphql websocket as strawberry's handlers see it, with a short way for frames."""

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncGenerator, Coroutine
from typing import Any, Protocol, cast

from starlette.types import Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from starlette.websockets import WebSocketDisconnected as SendAfterClose
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.async_base_view import AsyncBaseHTTPView
from strawberry.http.exceptions import WebSocketDisconnected

from api.server import SERVER_SEND
from api.wsmessages import Unreadable
from core.ratelimit import Pace
from resolvers.connections import FORBIDDEN

log = logging.getLogger(__name__)

#: what a send to a client that is gone raises: strawberry's error for a lost connection,
#: and Starlette's for any send after that (the socket is closed by then)
GONE = (WebSocketDisconnected, SendAfterClose)

#: the key in a websocket's ASGI scope of why it was refused: the close code and reason
#: that replace strawberry's 4403 "Forbidden"
REFUSAL = "careerops.refusal"
#: a refusal that waiting may lift (too many sockets): clients retry it with backoff
TRY_AGAIN_LATER = 1013
#: how graphql-ws closes after a connection_error
INTERNAL_ERROR = 1011
#: the most UTF-8 a close frame's reason may hold (RFC 6455: 125 bytes of payload, 2 of code)
CLOSE_REASON_BYTES = 123
#: how many seconds of a socket's message rate it may send at once (a page subscribing
#: to its jobs as it opens), before its messages are read at the rate
MESSAGE_BURST_SECONDS = 10


class PacedView(Protocol):
    """What the adapter needs of the view (``api.graphql.GraphQLApp``)."""

    #: a socket's messages read per second, at most, on average; 0 reads them unpaced
    messages_per_second: float


class SocketAdapter(ASGIWebSocketAdapter):
    def __init__(
        self,
        view: "AsyncBaseHTTPView[Any, Any, Any, Any, Any, Any, Any]",
        request: WebSocket,
        response: WebSocket,
    ) -> None:
        super().__init__(view, request, response)
        self._server_send: Send | None = response.scope.get(SERVER_SEND)
        #: a frame ``send_now`` started that the server could not take at once
        self._finishing: asyncio.Future[None] | None = None
        per_second = cast(PacedView, view).messages_per_second
        self._pace = Pace(per_second, per_second * MESSAGE_BURST_SECONDS) if per_second else None

    async def iter_json(
        self, *, ignore_parsing_errors: bool = False
    ) -> AsyncGenerator[object, None]:
        """The socket's messages. graphql-transport-ws (which reads them strictly) closes
        the socket on one that is not JSON text; graphql-ws (which asks to ignore those)
        gets it as ``Unreadable``, to answer it with a ``connection_error`` as its reference
        server does: strawberry dropped it without a word, and a binary frame closed the
        socket.

        Past its burst, a socket's messages are read at the view's ``messages_per_second``:
        a client sending pings as fast as it could took the process's CPU from everyone
        else's requests. The wait holds only this socket's reading (its events still go
        out), and a client that keeps to the pace never waits.
        """
        pace = self._pace
        async for message in self._messages(ignore_parsing_errors):
            if pace is not None and (wait := pace.wait()):
                await asyncio.sleep(wait)
            yield message

    async def _messages(self, ignore_parsing_errors: bool) -> AsyncGenerator[object, None]:
        if not ignore_parsing_errors:
            async for message in super().iter_json():
                yield message
            return
        try:
            while WebSocketState.DISCONNECTED not in (
                self.ws.application_state,
                self.ws.client_state,
            ):
                received = await self.ws.receive()
                if received["type"] == "websocket.disconnect":
                    return
                text = received.get("text")
                if text is None:
                    yield Unreadable("A message must be a text frame.")
                    continue
                try:
                    yield self.view.decode_json(text)
                except json.JSONDecodeError:
                    yield Unreadable("A message must be JSON.")
        except WebSocketDisconnect:
            return

    def send_now(self, text: str) -> bool:
        """Hand a frame to the server from synchronous code; False if it did not go.

        The server takes a frame without waiting while its client keeps up: then the
        send's first step is the whole of it. When it must wait, the send is finished by
        a task, and every later frame waits for that one (``send_text``), so the order
        holds either way.
        """
        send = self._server_send
        if (
            send is None
            or self._finishing is not None
            or self.ws.application_state is not WebSocketState.CONNECTED
        ):
            return False
        sending = cast(Coroutine[Any, Any, None], send({"type": "websocket.send", "text": text}))
        try:
            awaited = sending.send(None)
        except StopIteration:
            return True
        except Exception:
            # Refused before any of it went out (a client gone): the long way, which
            # raises Starlette's error where strawberry expects one.
            return False
        self._finishing = finishing = asyncio.ensure_future(_finish(sending, awaited))
        finishing.add_done_callback(self._finished)
        return True

    def _finished(self, finishing: "asyncio.Future[None]") -> None:
        self._finishing = None
        if not finishing.cancelled() and finishing.exception() is not None:
            log_lost()

    async def send_text(self, text: str) -> None:
        """One frame of a subscription's event (``api.protocols``), sent to the server.

        Four wrappers stood between a frame and the server (Starlette's websocket state
        check, its exception middleware's and our registry's ``send``, and Starlette's
        ``send_text``), about a tenth of a fan-out's CPU per delivery. None of them acts on an
        open socket's frame, so such a frame skips them; anything else, and a frame the
        server refuses, goes the long way, which keeps Starlette's state and errors.
        """
        if self._finishing is not None:
            await asyncio.wait([self._finishing])
        send = self._server_send
        if send is not None and self.ws.application_state is WebSocketState.CONNECTED:
            try:
                await send({"type": "websocket.send", "text": text})
                return
            except OSError:
                pass  # gone: Starlette's path below marks it so and raises its own error
        try:
            await self.ws.send_text(text)
        except WebSocketDisconnect as e:
            raise WebSocketDisconnected from e

    async def close(self, code: int, reason: str) -> None:
        refusal = self.ws.scope.get(REFUSAL)
        if refusal is not None and (
            # strawberry closes a refused connection_init with 4403 "Forbidden" (say why
            # instead) on graphql-transport-ws; on graphql-ws with 1011 after the
            # connection_error, as its reference server does, but a socket refused only
            # for now (too many) is told 1013 there too, so that clients retry it
            code == FORBIDDEN or (code == INTERNAL_ERROR and refusal[0] == TRY_AGAIN_LATER)
        ):
            code, reason = refusal
        await super().close(code, _fits_a_close_frame(reason))


def _fits_a_close_frame(reason: str) -> str:
    """``reason`` cut to what a close frame can carry. strawberry's 4400 reasons quote the
    client's text (an operation name, a syntax error's token): too long, or holding a lone
    UTF-16 half, the websockets library raised instead of closing, and the client saw the
    connection drop (1006) without being told why."""
    encoded = reason.encode("utf-8", "replace")
    if len(encoded) <= CLOSE_REASON_BYTES:
        return encoded.decode()
    return encoded[: CLOSE_REASON_BYTES - 3].decode("utf-8", "ignore") + "..."


async def _finish(sending: Coroutine[Any, Any, None], awaited: Any) -> None:
    """Run a coroutine that stopped on its first step to its end, as a task would have.

    (Python 3.12's eager tasks do this; the service runs on 3.11 too.) Each future it
    stops on is awaited directly, so this task wakes when the coroutine's own task
    would have: a frame waiting for the socket to drain keeps its place among the
    socket's other waiting frames.
    """
    while True:
        if isinstance(awaited, asyncio.Future):
            # Taken over as a task takes the future its coroutine yields (else awaiting it
            # again raises). Its outcome, an error or a cancellation (this task's
            # cancellation cancels it too), reaches the coroutine as it resumes.
            awaited._asyncio_future_blocking = False
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await awaited
        else:  # a bare yield: one turn of the loop
            await asyncio.sleep(0)
        try:
            awaited = sending.send(None)
        except StopIteration:
            return


def log_lost() -> None:
    log.info("a subscriber's connection was lost as a message went out")
