"""A request id for every HTTP request and websocket, bound for logs and sent to workers."""

import re
import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.logs import bound

HEADER = "x-request-id"
# A client may name its request, within reason: it lands in logs and message headers.
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        offered = dict(scope.get("headers", [])).get(HEADER.encode(), b"").decode("latin-1")
        request_id = offered if _ACCEPTABLE.match(offered) else uuid.uuid4().hex

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = request_id
            await send(message)

        with bound(request_id=request_id):
            # A websocket has no response headers: its frames go out unwrapped.
            await self.app(scope, receive, send_with_id if scope["type"] == "http" else send)
