"""The GraphQL context: what every resolver may use, built once per request or socket."""

from dataclasses import dataclass, field
from typing import Any

import strawberry
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from broker.base import Broker
from broker.fanout import Hub
from core.auth import Claims
from core.errors import AppError, ServiceUnavailable, Unauthenticated
from core.settings import Settings
from db import users
from db.connection import DatabaseUnavailable, Db
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
    #: a presented token's verified claims; the user is read when a field first needs it
    claims: Claims | None = None
    #: why a presented token was refused, reported only if a field needs a user
    auth_error: AppError | None = None
    # Mutable on purpose: Strawberry sets it from the websocket's connection_init.
    connection_params: dict[str, Any] | None = field(default=None)
    #: why the websocket closes once the reply of the operation that set it is out
    #: (``deleteAccount`` sent over the socket it ends)
    close_after_reply: str | None = None

    def require_user(self) -> UserRecord:
        """The caller, once ``IsAuthenticated`` (``signed_in_user``) has read it."""
        if self.user is None:
            raise self.auth_error or Unauthenticated()
        return self.user

    def caller_id(self) -> str:
        """The caller's id from their verified token, without reading their account: for a
        statement that checks the account itself (``db.jobs.insert_job``)."""
        if self.user is not None:
            return self.user.id
        return self.require_claims().user_id

    def require_claims(self) -> Claims:
        """The verified token, or the reason there is none, before any read."""
        if self.claims is None:
            raise self.auth_error or Unauthenticated()
        return self.claims

    async def signed_in_user(self) -> UserRecord:
        """The caller, read once per request; a deleted account is refused at once."""
        if self.user is None:
            claims = self.require_claims()
            try:
                user = await users.get_user(self.db, claims.user_id)
            except DatabaseUnavailable as e:
                raise ServiceUnavailable() from e
            if user is None:
                raise self.account_gone()
            self.user = user
        return self.user

    @staticmethod
    def account_gone() -> Unauthenticated:
        """A valid token whose account was deleted since: refused as a forged one would be."""
        return Unauthenticated("Invalid token.")


Info = strawberry.Info[Context, None]
