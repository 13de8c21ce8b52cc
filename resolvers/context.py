"""The GraphQL context: what every resolver may use, built once per request or socket."""

from dataclasses import dataclass, field
from typing import Any

import strawberry
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from broker.base import Broker
from broker.fanout import Hub
from core.errors import AppError, Unauthenticated
from core.settings import Settings
from db.connection import Db
from db.users import UserRecord
from resolvers.limits import Limits


@dataclass
class Context:
    db: Db
    broker: Broker
    hub: Hub
    settings: Settings
    #: this process's abuse limits (sign-in failures, job creation, sockets per user)
    limits: Limits
    request: Request | WebSocket
    response: Response | None = None
    user: UserRecord | None = None
    #: why a presented token was refused, reported only if a field needs a user
    auth_error: AppError | None = None
    # Mutable on purpose: Strawberry sets it from the websocket's connection_init.
    connection_params: dict[str, Any] | None = field(default=None)

    def require_user(self) -> UserRecord:
        if self.user is None:
            raise self.auth_error or Unauthenticated()
        return self.user


Info = strawberry.Info[Context, None]
