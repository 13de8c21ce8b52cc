"""Strawberry's ASGI view, with our context and websocket authentication (the sockets
themselves: ``api.socket_adapter`` and ``api.protocols``)."""

import json
import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, NoReturn

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError, MissingQueryError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema import BaseSchema
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType

from api.mediatypes import (
    GRAPHQL_RESPONSE_CONTENT_TYPE,
    GRAPHQL_RESPONSE_JSON,
    JSON,
    answer_media_type,
)
from api.protocols import LegacyWSHandler, TransportWSHandler
from api.refusals import refused_request
from api.socket_adapter import INTERNAL_ERROR, REFUSAL, TRY_AGAIN_LATER, SocketAdapter
from api.static import graphiql_page
from core.auth import bearer_token, decode_token
from core.errors import AppError, ServiceUnavailable, Unauthenticated
from core.json_text import json_text
from core.logs import where_it_failed
from core.settings import Settings
from resolvers.authentication import token_from_connection_params
from resolvers.connections import FORBIDDEN, Connection
from resolvers.context import Context
from schema.build import build_schema
from schema.masking import INTERNAL_MESSAGE
from schema.served import ServedSchema
from schema.sharing import SharedResults

log = logging.getLogger(__name__)

#: the key in a websocket's ASGI scope of its signed-in connection
_CONNECTION = "careerops.connection"
#: the key in a request's ASGI scope set when its operation was refused before it ran
_REFUSED_BEFORE_EXECUTION = "careerops.refused_before_execution"


def graphql_view(settings: Settings) -> "GraphQLApp":
    """The /graphql endpoint with this deployment's limits, IDE and allowed origins."""
    shared = SharedResults()
    return GraphQLApp(
        build_schema(settings, shared),
        shared,
        messages_per_second=settings.websocket_messages_per_second,
        graphql_ide="graphiql" if settings.graphiql_enabled else None,
        keep_alive=True,
        keep_alive_interval=15,
        max_subscriptions_per_connection=settings.max_subscriptions_per_connection,
        connection_init_wait_timeout=timedelta(seconds=settings.connection_init_wait_seconds),
        # Same-origin sockets are always allowed; a foreign Origin gets 403 at the handshake.
        allowed_origins=settings.allowed_origins,
    )


class _MutationOverGet(Exception):
    """A mutation sent with GET: answered 405 past strawberry's view, which says 400."""


class _PersistedQueryAlone(Exception):
    """A persisted query's hash without its text (automatic persisted queries), which this
    service does not keep: told with the code that makes such a client send the text."""


PERSISTED_QUERY_NOT_SUPPORTED = (
    "Persisted queries are not supported: send the query's text.",
    "PERSISTED_QUERY_NOT_SUPPORTED",
)


GRAPHIQL_OFF = (
    "No GraphQL query found in the request. GraphiQL, the page for browsers, is not served"
    " here (CAREEROPS_GRAPHIQL turns it on)."
)

#: the methods GraphQL over HTTP answers (a mutation over GET is refused apart)
GRAPHQL_METHODS = ("GET", "POST")


class GraphQLApp(GraphQL[Context, None]):
    websocket_adapter_class = SocketAdapter
    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler

    def __init__(
        self,
        schema: BaseSchema,
        shared: SharedResults,
        *,
        messages_per_second: float,
        **options: Any,
    ) -> None:
        super().__init__(schema, **options)
        self.shared = shared
        #: a socket's messages read per second past its burst (``api.socket_adapter``)
        self.messages_per_second = messages_per_second
        #: whether a subscription's error-free results may go out the short way
        self.express_allowed = (
            isinstance(schema, ServedSchema) and schema.streams_results_as_executed
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            if scope["type"] == "http":
                response = await self._answer(Request(scope, receive))
                await response(scope, receive, send)
            else:
                await super().__call__(scope, receive, send)
        except ClientDisconnect:
            # Nobody to answer, and not the server's error (uvicorn logged it as one).
            log.debug("a client left before its body arrived")
        finally:
            connection: Connection | None = scope.get(_CONNECTION)
            if connection is not None:
                connection.release()

    async def _answer(self, request: Request) -> Response:
        """What strawberry's ``__call__`` answers a request, but a refusal in JSON, and in
        the media type the request asks for (``api.mediatypes``)."""
        accept = request.headers.get("accept")
        if request.method not in GRAPHQL_METHODS:
            message = f"{request.method} is not a GraphQL request: send POST, or GET for a query."
            allow = {"Allow": ", ".join(GRAPHQL_METHODS)}
            return refused_request(message, 405, accept=accept, headers=allow)
        try:
            response = await self.run(request)
        except _MutationOverGet as refused:
            # GraphQL over HTTP: a mutation asked for with GET is refused with 405, and
            # an HTTP 405 names the method that would do.
            return refused_request(str(refused), 405, accept=accept, headers={"Allow": "POST"})
        except _PersistedQueryAlone:
            message, code = PERSISTED_QUERY_NOT_SUPPORTED
            return refused_request(message, 400, accept=accept, code=code)
        except HTTPException as e:
            if e.status_code == 404:
                # strawberry's answer to a browser's GET when GraphiQL is off: the endpoint
                # is here, only the page is not, and the request is as wanting as any other
                # GET without a query.
                return refused_request(GRAPHIQL_OFF, 400, accept=accept)
            return refused_request(e.reason, e.status_code, accept=accept)
        if answer_media_type(accept) == GRAPHQL_RESPONSE_JSON and _is_json(response):
            response.headers["content-type"] = GRAPHQL_RESPONSE_CONTENT_TYPE
            if request.scope.get(_REFUSED_BEFORE_EXECUTION) and response.status_code == 200:
                # In its own media type GraphQL over HTTP makes an answer without ``data``
                # (the document did not parse or validate) a 400; plain JSON keeps its 200.
                response.status_code = 400
        return response

    def encode_json(self, data: object) -> str:
        return json_text(data)

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

    def parse_query_params(self, params: Mapping[str, str | None]) -> dict[str, Any]:
        """A GET's parameters, its ``variables`` and ``extensions`` read as JSON.

        strawberry reads them as a body is read, so a GET was told its "request body" was
        not JSON, and ``variables=null`` was refused, though null is what the spec allows.
        """
        parsed: dict[str, Any] = dict(params)
        for name in ("variables", "extensions"):
            text = parsed.get(name)
            if not text:
                continue
            try:
                parsed[name] = self.decode_json(text)
            except json.JSONDecodeError as e:
                raise HTTPException(
                    400, f"Unable to parse the `{name}` query parameter as JSON"
                ) from e
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
            extensions = request_data.extensions
            if isinstance(refused, MissingQueryError) and isinstance(extensions, dict):
                if "persistedQuery" in extensions:
                    raise _PersistedQueryAlone from e
            # A reason quoting the client's operation name may hold text no codec writes.
            e.reason = e.reason.encode("utf-8", "backslashreplace").decode()
            raise

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        response = await super().process_result(request, result)
        if isinstance(result, PreExecutionError):
            # The GraphQL spec: a request refused before execution began (its syntax, its
            # validation, its variables) has no ``data`` entry; strawberry sent a null one.
            response.pop("data", None)
            request.scope[_REFUSED_BEFORE_EXECUTION] = True
        return response

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

    def is_websocket_origin_allowed(self, request: WebSocket, origin: str) -> bool:
        allowed = super().is_websocket_origin_allowed(request, origin)
        if not allowed:
            log.debug(
                "refused a websocket from origin %r: not in CAREEROPS_ALLOWED_ORIGINS", origin
            )
        return allowed

    async def render_graphql_ide(self, request: Request) -> Response:
        # The bundled GraphiQL works offline; strawberry's own page loads it from a CDN.
        return graphiql_page(request)

    async def on_ws_connect(self, context: Context) -> dict[str, Any] | None:
        token = token_from_connection_params(context.connection_params)
        if token is None:
            _refuse(context, "Authentication required.")
        context.user = None  # a second connection_init signs in afresh
        _verify(context, token)
        try:
            user = await context.signed_in_user()
        except ServiceUnavailable as e:
            # The database is away, not the token wrong: 4403 would sign the client out.
            log.warning("refused: %s", e.__cause__ or e)
            _refuse(context, e.message, code=TRY_AGAIN_LATER)
        except AppError as e:
            _refuse(context, e.message)
        except Exception as e:
            # Masked as a field's error is; uncaught, it dropped the socket without a close
            # frame or a connection_error, and uvicorn logged its message.
            log.error("internal error in connection_init: %s", where_it_failed(e))
            _refuse(context, INTERNAL_MESSAGE, code=INTERNAL_ERROR)
        assert context.claims is not None
        scope = context.request.scope
        if (previous := scope.pop(_CONNECTION, None)) is not None:
            # A second connection_init (the legacy protocol allows it) renews the token; it
            # does not make the socket, and the operations running on it, another user's.
            previous.release()
            if previous.user_id != user.id:
                _refuse(context, "This socket is another user's; open a new one.")
        connections = context.limits.connections
        assert isinstance(context.request, WebSocket)
        connection = connections.open(user.id, context.request, context.claims.expires_at)
        if connection is None:
            # Not 4403, which says the token is refused: a client signs its user out on it.
            message = f"Too many open connections (at most {connections.per_user})."
            _refuse(context, message, code=TRY_AGAIN_LATER)
        scope[_CONNECTION] = connection
        return None


def _is_json(response: Response) -> bool:
    """Whether ``response`` is a GraphQL result (not GraphiQL's page)."""
    return response.headers.get("content-type", "").startswith(JSON)


def _refuse(context: Context, message: str, *, code: int = FORBIDDEN) -> NoReturn:
    """Refuse a socket's ``connection_init``: graphql-transport-ws closes it with ``code``
    and ``message``, graphql-ws sends ``message`` in its ``connection_error``."""
    context.request.scope[REFUSAL] = (code, message)
    raise ConnectionRejectionError({"message": message})


def _verify(context: Context, token: str) -> None:
    """The token's claims on the context, or ``auth_error`` saying why there are none."""
    try:
        context.claims, context.auth_error = decode_token(token, context.settings), None
    except Unauthenticated as e:
        context.claims, context.auth_error = None, e
