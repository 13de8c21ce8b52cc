"""Strawberry's ASGI view, with our context and websocket authentication."""

import asyncio
import contextlib
import json
import logging
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any, NoReturn, cast

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from starlette.websockets import WebSocketDisconnected as SendAfterClose
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData
from strawberry.http.async_base_view import AsyncBaseHTTPView, AsyncWebSocketAdapter
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.schema import BaseSchema
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import Message
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import OperationMessage
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from api.server import SERVER_SEND
from api.static import graphiql_page
from api.wsmessages import legacy_ws_problem, operation_problem, transport_ws_problem
from core.auth import bearer_token, decode_token
from core.errors import AppError, RateLimited, Unauthenticated
from core.settings import Settings
from resolvers.authentication import token_from_connection_params
from resolvers.connections import FORBIDDEN, Connection
from resolvers.context import Context
from schema.build import build_schema
from schema.express import CURRENT_LANE, ExpressLane
from schema.served import ServedSchema
from schema.sharing import SharedResults

log = logging.getLogger(__name__)

#: what a send to a client that is gone raises: strawberry's error for a lost connection,
#: and Starlette's for any send after that (the socket is closed by then)
_GONE = (WebSocketDisconnected, SendAfterClose)

#: strawberry's words for an operation over the socket's limit, which it sends uncoded
_LIMIT_REACHED = "Subscription limit reached"
#: a slot frees as soon as one of the socket's operations ends
_LIMIT_RETRY_AFTER_SECONDS = 1

# Keys in a websocket's ASGI scope: its signed-in connection, and why it was refused.
_CONNECTION = "careerops.connection"
_REFUSAL = "careerops.refusal"


def graphql_view(settings: Settings) -> "GraphQLApp":
    """The /graphql endpoint with this deployment's limits, IDE and allowed origins."""
    shared = SharedResults()
    return GraphQLApp(
        build_schema(settings, shared),
        shared,
        graphql_ide="graphiql" if settings.graphiql_enabled else None,
        keep_alive=True,
        keep_alive_interval=15,
        max_subscriptions_per_connection=settings.max_subscriptions_per_connection,
        connection_init_wait_timeout=timedelta(seconds=settings.connection_init_wait_seconds),
        # Same-origin sockets are always allowed; a foreign Origin gets 403 at the handshake.
        allowed_origins=settings.allowed_origins,
    )


class _WebSocketAdapter(ASGIWebSocketAdapter):
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
            _log_lost()

    async def send_text(self, text: str) -> None:
        """One frame of a subscription's event (``_TransportWSHandler``), sent to the server.

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
        # Strawberry closes a refused connection_init with 4403 "Forbidden": say why instead.
        if code == FORBIDDEN:
            reason = self.ws.scope.get(_REFUSAL, reason)
        await super().close(code, reason)


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


def _next_frame(op_id_json: str, data_json: str) -> str:
    """A graphql-transport-ws ``next`` message with only ``data``, as strawberry sends it."""
    return f'{{"id":{op_id_json},"type":"next","payload":{{"data":{data_json}}}}}'


class _SocketLane(ExpressLane):
    """An operation's short way to its graphql-transport-ws socket."""

    # Slots, not a closure: every open subscription keeps one.
    __slots__ = ("_handler", "_op_id_json", "_operation", "_websocket")

    def __init__(self, handler: "_TransportWSHandler", operation: Operation[Context, None]) -> None:
        super().__init__()
        assert isinstance(handler.websocket, _WebSocketAdapter)
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


class _TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws, with a shared event result encoded once for all its sockets,
    and sent from the hub's dispatch where it can be (``schema.express``)."""

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
        view = self.view
        assert isinstance(view, GraphQLApp)
        return _SocketLane(self, operation) if view.express_allowed else None

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
            assert isinstance(self.view, GraphQLApp) and isinstance(
                self.websocket, _WebSocketAdapter
            )
            encoded = self.view.shared.encoded(payload.get("data"))
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
        if isinstance(error, _GONE):
            _log_lost()
            return
        await super().handle_task_exception(error)


class _LegacyWSHandler(BaseGraphQLWSHandler[Context, None]):
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
            await self.send_message(
                cast(
                    OperationMessage, {"type": "connection_error", "payload": {"message": problem}}
                )
            )
            return
        if message["type"] == "start" and self.connection_acknowledged:
            problem = operation_problem(message.get("payload"))
            if problem is not None:
                error = {"message": problem, "extensions": {"code": "BAD_USER_INPUT"}}
                await self.send_message(
                    cast(OperationMessage, {"type": "error", "id": message["id"], "payload": error})
                )
                return
        await super().handle_message(message)

    async def send_message(self, message: OperationMessage) -> None:
        if message["type"] == "error" and isinstance(payload := message.get("payload"), dict):
            message["payload"] = _coded(payload)
        try:
            await super().send_message(message)
            if message["type"] == "complete":
                await _close_if_asked(self.websocket, self.context)
        except _GONE:
            _log_lost()
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


def _log_lost() -> None:
    log.info("a subscriber's connection was lost as a message went out")


class _MutationOverGet(Exception):
    """A mutation sent with GET: answered 405 past strawberry's view, which says 400."""


class GraphQLApp(GraphQL[Context, None]):
    websocket_adapter_class = _WebSocketAdapter
    graphql_transport_ws_handler_class = _TransportWSHandler
    graphql_ws_handler_class = _LegacyWSHandler

    def __init__(self, schema: BaseSchema, shared: SharedResults, **options: Any) -> None:
        super().__init__(schema, **options)
        self.shared = shared
        #: whether a subscription's error-free results may go out the short way
        self.express_allowed = (
            isinstance(schema, ServedSchema) and schema.streams_results_as_executed
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except _MutationOverGet as refused:
            # GraphQL over HTTP: a mutation asked for with GET is refused with 405, and
            # an HTTP 405 names the method that would do.
            response = PlainTextResponse(str(refused), status_code=405, headers={"Allow": "POST"})
            await response(scope, receive, send)
        except ClientDisconnect:
            # Nobody to answer, and not the server's error (uvicorn logged it as one).
            log.debug("a client left before its body arrived")
        finally:
            connection: Connection | None = scope.get(_CONNECTION)
            if connection is not None:
                connection.release()

    def decode_json(self, data: str | bytes) -> object:
        """JSON from a request or a websocket frame; what this parser cannot read is the
        protocols' "not JSON" too, not an error of the server's."""
        try:
            return json.loads(data)
        except json.JSONDecodeError:
            raise
        except (ValueError, RecursionError) as e:  # not UTF-8, too deep, too many digits
            raise json.JSONDecodeError(f"unreadable JSON ({type(e).__name__})", "", 0) from e

    def parse_json(self, data: str | bytes) -> Any:
        """A request's JSON (its body, or a GET's ``variables`` and ``extensions``).

        strawberry turned only a syntax error into its 400: a body not in UTF-8, nested
        past the interpreter's recursion limit or holding an integer of more than 4,300
        digits raised through it as a 500 (``decode_json`` now says they are not JSON),
        and so did JSON that is not an object, which its request parser reads with ``.get``.
        """
        try:
            parsed = self.decode_json(data)
        except json.JSONDecodeError as e:
            raise HTTPException(400, "Unable to parse request body as JSON") from e
        if not isinstance(parsed, (dict, list)):
            raise HTTPException(400, "The request's JSON must be an object, or a list of them.")
        return parsed

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        try:
            return await super().execute_single(
                request=request,
                request_adapter=request_adapter,
                sub_response=sub_response,
                context=context,
                root_value=root_value,
                request_data=request_data,
            )
        except HTTPException as e:
            # strawberry answers 400 to every operation of a type the method does not allow
            refused = e.__cause__
            if (
                isinstance(refused, InvalidOperationTypeError)
                and refused.operation_type is OperationType.MUTATION
            ):
                raise _MutationOverGet(e.reason) from e
            # A reason quoting the client's operation name may hold text no codec writes.
            e.reason = e.reason.encode("utf-8", "backslashreplace").decode()
            raise

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket | None
    ) -> Context:
        state = request.state
        context = Context(
            db=state.db,
            broker=state.broker,
            hub=state.hub,
            settings=state.settings,
            limits=state.limits,
            request=request,
            response=response if isinstance(response, Response) else None,
        )
        if isinstance(response, Response):
            # Answers carry tokens and CVs: no shared cache may keep them.
            response.headers["Cache-Control"] = "no-store"
            response.headers["X-Content-Type-Options"] = "nosniff"
        if isinstance(request, Request):
            token = bearer_token(request.headers.get("authorization"))
            if token is not None:
                # Only the signature and expiry here: the user is read when a field needs
                # it, and ``job(id)`` reads it with the job in one statement.
                _verify(context, token)
        return context

    async def render_graphql_ide(self, request: Request) -> Response:
        # The bundled GraphiQL works offline; strawberry's own page loads it from a CDN.
        return graphiql_page(request) or await super().render_graphql_ide(request)

    async def on_ws_connect(self, context: Context) -> dict[str, Any] | None:
        token = token_from_connection_params(context.connection_params)
        if token is None:
            _refuse(context, "Authentication required.")
        context.user = None  # a second connection_init signs in afresh
        _verify(context, token)
        try:
            user = await context.signed_in_user()
        except AppError as e:
            _refuse(context, e.message)
        assert context.claims is not None
        scope = context.request.scope
        if (previous := scope.pop(_CONNECTION, None)) is not None:
            previous.release()  # a second connection_init (the legacy protocol allows it)
        connections = context.limits.connections
        assert isinstance(context.request, WebSocket)
        connection = connections.open(user.id, context.request, context.claims.expires_at)
        if connection is None:
            _refuse(context, f"Too many open connections (at most {connections.per_user}).")
        scope[_CONNECTION] = connection
        return None


def _refuse(context: Context, message: str) -> NoReturn:
    context.request.scope[_REFUSAL] = message
    raise ConnectionRejectionError({"message": message})


def _verify(context: Context, token: str) -> None:
    """The token's claims on the context, or ``auth_error`` saying why there are none."""
    try:
        context.claims, context.auth_error = decode_token(token, context.settings), None
    except Unauthenticated as e:
        context.claims, context.auth_error = None, e
