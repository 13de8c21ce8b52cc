"""Strawberry's ASGI view, with our context and websocket authentication."""

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError

from api.static import graphiql_page
from core.auth import bearer_token
from core.errors import ServiceUnavailable, Unauthenticated
from db.connection import DatabaseUnavailable
from resolvers.authentication import authenticate, token_from_connection_params
from resolvers.context import Context


class GraphQLApp(GraphQL[Context, None]):
    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket | None
    ) -> Context:
        state = request.state
        context = Context(
            db=state.db,
            broker=state.broker,
            hub=state.hub,
            settings=state.settings,
            request=request,
            response=response if isinstance(response, Response) else None,
        )
        if isinstance(request, Request):
            token = bearer_token(request.headers.get("authorization"))
            if token is not None:
                await _sign_in(context, token)
        return context

    async def render_graphql_ide(self, request: Request) -> Response:
        # The bundled GraphiQL works offline; strawberry's own page loads it from a CDN.
        return graphiql_page(request) or await super().render_graphql_ide(request)

    async def on_ws_connect(self, context: Context) -> dict[str, Any] | None:
        token = token_from_connection_params(context.connection_params)
        if token is None:
            raise ConnectionRejectionError({"message": "Authentication required."})
        await _sign_in(context, token)
        if context.user is None:
            reason = context.auth_error.message if context.auth_error else "Invalid token."
            raise ConnectionRejectionError({"message": reason})
        return None


async def _sign_in(context: Context, token: str) -> None:
    try:
        context.user = await authenticate(token, context.db, context.settings)
    except Unauthenticated as e:
        context.auth_error = e
    except DatabaseUnavailable as e:
        context.auth_error = ServiceUnavailable()
        context.auth_error.__cause__ = e
