"""Each user's open websockets in this process: a cap per user, closing at token expiry."""

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime

from starlette.websockets import WebSocket, WebSocketDisconnect

from core.auth import LEEWAY_SECONDS

#: the close code graphql-transport-ws uses for a refused connection, with our reason
FORBIDDEN = 4403
TOKEN_EXPIRED = "Token expired"
ACCOUNT_DELETED = "Account deleted"


class Connection:
    """One signed-in websocket; closed with 4403 when its token expires (past its leeway)."""

    def __init__(
        self,
        user_id: str,
        websocket: WebSocket,
        expires_at: datetime,
        on_release: Callable[["Connection"], None],
    ) -> None:
        self.user_id = user_id
        self.websocket = websocket
        self._on_release = on_release
        # The token's leeway for clock skew too, as every request gets: closed at ``exp``,
        # a socket was acked for a token that HTTP still took, and then closed for it.
        delay = (expires_at - datetime.now(UTC)).total_seconds() + LEEWAY_SECONDS
        # A timer, not a sleeping task: thousands of idle sockets each hold one.
        self._expiry = asyncio.get_running_loop().call_later(max(delay, 0.0), self._expire)
        self._closing: asyncio.Task[None] | None = None

    def _expire(self) -> None:
        self._closing = asyncio.create_task(self.close(TOKEN_EXPIRED), name="ws-token-expiry")

    async def close(self, reason: str) -> None:
        # The client may be gone already, or the socket closed by the protocol handler.
        with contextlib.suppress(RuntimeError, WebSocketDisconnect, OSError):
            await self.websocket.close(code=FORBIDDEN, reason=reason)

    def release(self) -> None:
        """The socket is gone: stop its timer and stop counting it."""
        self._expiry.cancel()
        self._on_release(self)


class Connections:
    """Per process: with several API processes, each caps and closes only its own sockets."""

    def __init__(self, per_user: int) -> None:
        self.per_user = per_user
        self._by_user: dict[str, set[Connection]] = defaultdict(set)

    def open(self, user_id: str, websocket: WebSocket, expires_at: datetime) -> Connection | None:
        """The new connection, or None when the user already has ``per_user`` open."""
        mine = self._by_user[user_id]
        if 0 < self.per_user <= len(mine):
            return None
        connection = Connection(user_id, websocket, expires_at, self._forget)
        mine.add(connection)
        return connection

    def _forget(self, connection: Connection) -> None:
        mine = self._by_user.get(connection.user_id)
        if mine is not None:
            mine.discard(connection)
            if not mine:
                del self._by_user[connection.user_id]

    def user_ids(self) -> list[str]:
        """The users with a socket open here."""
        return list(self._by_user)

    async def close_user(self, user_id: str, reason: str, *, keep: object = None) -> None:
        """Close every socket of the user (but ``keep``, the one asking) with 4403."""
        for connection in list(self._by_user.get(user_id, ())):
            if connection.websocket is not keep:
                await connection.close(reason)
