"""HTTP-only middleware kept off the websocket path."""

from collections.abc import Awaitable
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send


class HttpOnly:
    """``middleware`` on HTTP requests; anything else goes straight to the app beneath.

    A plain function, not a coroutine: a websocket passes through without a frame of
    this layer (nor one of the middleware's own pass-through) held for as long as the
    socket is open, which for thousands of idle subscriptions is memory.
    """

    def __init__(self, app: ASGIApp, /, middleware: Any, **options: Any) -> None:
        self.app = app
        self.http: ASGIApp = middleware(app, **options)

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        if scope["type"] == "http":
            return self.http(scope, receive, send)
        return self.app(scope, receive, send)
