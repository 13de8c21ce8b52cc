"""Serving: uvicorn, plus telling websocket clients to reconnect elsewhere on shutdown."""

import asyncio
import contextlib
import logging
import socket

import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

#: RFC 6455 "going away": the client should reconnect, to another instance if there is one
GOING_AWAY = 1001


class WebSocketRegistry:
    """The open websockets, so a shutdown can close them with 1001."""

    def __init__(self) -> None:
        self._open: dict[int, Send] = {}

    @property
    def open_count(self) -> int:
        return len(self._open)

    async def close_all(self, reason: str = "server shutting down") -> None:
        sends, self._open = list(self._open.values()), {}
        for send in sends:
            with contextlib.suppress(Exception):
                await send({"type": "websocket.close", "code": GOING_AWAY, "reason": reason})
        if sends:
            log.info("closed %d websocket(s) with %d", len(sends), GOING_AWAY)


class TrackWebSockets:
    """ASGI middleware that records each accepted websocket in the registry."""

    def __init__(self, app: ASGIApp, registry: WebSocketRegistry) -> None:
        self.app = app
        self.registry = registry

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        key = id(scope)
        registry = self.registry._open

        async def tracked_send(message: Message) -> None:
            if message["type"] == "websocket.accept":
                registry[key] = send
            elif message["type"] == "websocket.close":
                registry.pop(key, None)
            await send(message)

        try:
            await self.app(scope, receive, tracked_send)
        finally:
            registry.pop(key, None)


class Server(uvicorn.Server):
    """uvicorn, but websockets get 1001 before it stops (its own default is 1012)."""

    def __init__(self, config: uvicorn.Config, websockets: WebSocketRegistry) -> None:
        super().__init__(config)
        self.websockets = websockets

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        await self.websockets.close_all()
        await asyncio.sleep(0)  # let the close frames go out before connections are torn down
        await super().shutdown(sockets)
