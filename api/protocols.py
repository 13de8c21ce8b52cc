"""strawberry's two websocket protocol handlers, as this service runs them: an event's
frame sent from the hub's dispatch where it can be, malformed messages answered as each
protocol says, and the subscription limit's refusal given its contract code."""

import asyncio
import json
from typing import Any, Protocol, cast

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.http.async_base_view import AsyncWebSocketAdapter
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    Message,
    PingMessage,
    PongMessage,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import OperationMessage

from api.refusals import request_error
from api.socket_adapter import GONE, SocketAdapter, log_lost
from api.wsmessages import (
    LEGACY_CLIENT_MESSAGES,
    legacy_ws_problem,
    operation_problem,
    transport_ws_problem,
)
from core.errors import RateLimited
from resolvers.connections import FORBIDDEN
from resolvers.context import Context
from schema.express import CURRENT_LANE, ExpressLane
from schema.sharing import SharedResults

#: strawberry's words for an operation over the socket's limit, which it sends uncoded
_LIMIT_REACHED = "Subscription limit reached"
#: a slot frees as soon as one of the socket's operations ends
_LIMIT_RETRY_AFTER_SECONDS = 1


class SharingView(Protocol):
    """What the handlers need of the view (``api.graphql.GraphQLApp``)."""

    shared: SharedResults
    #: whether a subscription's error-free results may go out the short way
    express_allowed: bool


def _next_frame(op_id_json: str, data_json: str) -> str:
    """A graphql-transport-ws ``next`` message with only ``data``, as strawberry sends it."""
    return f'{{"id":{op_id_json},"type":"next","payload":{{"data":{data_json}}}}}'


class _SocketLane(ExpressLane):
    """An operation's short way to its graphql-transport-ws socket."""

    # Slots, not a closure: every open subscription keeps one.
    __slots__ = ("_handler", "_op_id_json", "_operation", "_websocket")

    def __init__(self, handler: "TransportWSHandler", operation: Operation[Context, None]) -> None:
        super().__init__()
        assert isinstance(handler.websocket, SocketAdapter)
        self._handler = handler
        self._websocket = handler.websocket
        self._operation = operation
        self._op_id_json = json.dumps(operation.id)

    def write(self, data_json: str) -> bool:
        operation = self._operation
        # Not after the operation ended or the client completed it: its task, cancelled
        # by then, would not have sent this either.
        if operation.completed or self._handler.operations.get(operation.id) is not operation:
            return False
        return self._websocket.send_now(_next_frame(self._op_id_json, data_json))


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws, with a shared event result encoded once for all its sockets,
    and sent from the hub's dispatch where it can be (``schema.express``)."""

    async def handle_ping(self, message: PingMessage) -> None:
        # The pong carries the ping's payload back, as the protocol's reference server
        # does (a client may time its round trips by it); strawberry's dropped it.
        pong: PongMessage = {"type": "pong"}
        if (payload := message.get("payload")) is not None:
            pong["payload"] = payload
        await self.send_message(pong)

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        # The operation's own task: what is set here is seen by its executor and resolver.
        lane = CURRENT_LANE.set(self._express_lane(operation))
        try:
            await super().run_operation(operation)
        finally:
            CURRENT_LANE.reset(lane)
            # Its task keeps how it ended (a client's complete cancels it), whose
            # traceback holds this frame and the operation, and the operation holds the
            # task: a cycle of the operation's executor, context and lane that only the
            # collector freed. Once the handler has let the operation go (it does before
            # it cancels one), nothing needs the task through it.
            if self.operations.get(operation.id) is not operation:
                operation.task = None

    def _express_lane(self, operation: Operation[Context, None]) -> ExpressLane | None:
        view = cast(SharingView, self.view)
        return _SocketLane(self, operation) if view.express_allowed else None

    @staticmethod
    def _get_pre_execution_close_reason(error: GraphQLError) -> str | None:
        # Only a document that does not parse closes the socket, as README says. strawberry
        # closed it on an unknown ``operationName`` too, ending every other subscription of
        # the socket over one operation's mistake, which HTTP and graphql-ws answer as that
        # operation's BAD_USER_INPUT.
        return error.message if isinstance(error, GraphQLSyntaxError) else None

    async def handle_message(self, message: Message) -> None:
        problem = transport_ws_problem(message)
        if problem is not None:
            await self.handle_invalid_message(problem)  # the protocol's answer: close 4400
            return
        if message["type"] == "connection_init" and message.get("payload", {}) is None:
            # The protocol allows a null payload: no parameters, so no token (4403).
            message["payload"] = {}
        await super().handle_message(message)

    async def send_message(self, message: Message) -> None:
        if message["type"] == "next" and len(payload := message["payload"]) == 1:
            assert isinstance(self.websocket, SocketAdapter)
            encoded = cast(SharingView, self.view).shared.encoded(payload.get("data"))
            if encoded is not None:
                await self.websocket.send_text(_next_frame(json.dumps(message["id"]), encoded))
                return
        if message["type"] == "error":
            message["payload"] = [_coded(error) for error in message["payload"]]
        await super().send_message(message)
        if message["type"] == "complete":
            await _close_if_asked(self.websocket, self.context)

    async def handle_task_exception(self, error: Exception) -> None:
        # A client gone while an event was on its way is not the server's error: strawberry
        # logged each with a traceback, a fan-out's worth when a network drops its clients.
        if isinstance(error, GONE):
            log_lost()
            return
        await super().handle_task_exception(error)


class LegacyWSHandler(BaseGraphQLWSHandler[Context, None]):
    """graphql-ws, ending an operation whose client is gone as its result goes out, and a
    socket that has not signed in within the view's ``connection_init_wait_timeout`` (as
    graphql-transport-ws does: the protocol sets no limit, and such a socket is nobody's)."""

    async def handle(self) -> None:
        waited = self.view.connection_init_wait_timeout.total_seconds()
        timer = asyncio.get_running_loop().call_later(waited, self._close_if_not_signed_in)
        try:
            await super().handle()
        finally:
            timer.cancel()

    def _close_if_not_signed_in(self) -> None:
        if not self.connection_acknowledged:
            closing = self.websocket.close(4408, "Connection initialisation timeout")
            self._closing = asyncio.ensure_future(closing)

    async def handle_message(self, message: OperationMessage) -> None:
        problem = legacy_ws_problem(message)
        if problem is not None:
            await self._connection_error(problem)
            if isinstance(message, dict) and message.get("type") == "connection_init":
                # refused as a connection_init without a valid token is: the socket closes
                await self.websocket.close(code=1011, reason="")
            return
        fields = cast(dict[str, Any], message)
        if fields["type"] not in LEGACY_CLIENT_MESSAGES:
            # as subscriptions-transport-ws answers: an error for the id, if it has one
            unknown = f"Unknown message type `{fields['type']}`."
            if isinstance(operation_id := fields.get("id"), str):
                await self._operation_error(operation_id, unknown)
            else:
                await self._connection_error(unknown)
            return
        if fields["type"] == "start" and self.connection_acknowledged:
            problem = operation_problem(fields.get("payload"))
            if problem is not None:
                await self._operation_error(fields["id"], problem)
                return
        await super().handle_message(message)

    async def _connection_error(self, problem: str) -> None:
        error = {"type": "connection_error", "payload": {"message": problem}}
        await self.send_message(cast(OperationMessage, error))

    async def _operation_error(self, operation_id: str, problem: str) -> None:
        error = {"type": "error", "id": operation_id, "payload": request_error(problem)}
        await self.send_message(cast(OperationMessage, error))

    async def send_message(self, message: OperationMessage) -> None:
        if message["type"] == "error" and isinstance(payload := message.get("payload"), dict):
            message["payload"] = _coded(payload)
        try:
            await super().send_message(message)
            if message["type"] == "complete":
                await _close_if_asked(self.websocket, self.context)
        except GONE:
            log_lost()
            # strawberry's loop would leave the stream open, and with it the hub's
            # subscription, until the cyclic collector found the failed task. Closed here,
            # between two results, the stream ends and the loop with it.
            stream = self.subscriptions.get(str(message.get("id")))
            if message["type"] == "data" and stream is not None:
                await stream.aclose()


def _coded(error: Any) -> Any:
    """An error of the websocket protocols with its contract code: strawberry sends its
    subscription limit's refusal without one."""
    if error.get("message") != _LIMIT_REACHED or "extensions" in error:
        return error
    limited = RateLimited(_LIMIT_RETRY_AFTER_SECONDS, _LIMIT_REACHED)
    return {**error, "extensions": limited.extensions}


async def _close_if_asked(websocket: AsyncWebSocketAdapter, context: Context) -> None:
    """Close the socket (4403) if the operation whose reply just went out asked for it."""
    if context.close_after_reply is not None:
        await websocket.close(FORBIDDEN, context.close_after_reply)
