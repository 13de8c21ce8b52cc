"""Turn a presented token into a user, or say why not."""

from dataclasses import dataclass
from datetime import datetime

from core.auth import bearer_token, decode_token
from core.errors import Unauthenticated
from core.settings import Settings
from db import users
from db.connection import Db
from db.users import UserRecord


@dataclass(frozen=True)
class SignedIn:
    user: UserRecord
    #: when the token stops being valid (a websocket is closed then)
    expires_at: datetime


async def authenticate(token: str, db: Db, settings: Settings) -> SignedIn:
    claims = decode_token(token, settings)
    # A valid signature is not enough: the user may have deleted their account since.
    user = await users.get_user(db, claims.user_id)
    if user is None:
        raise Unauthenticated("Invalid token.")
    return SignedIn(user=user, expires_at=claims.expires_at)


def token_from_connection_params(params: dict[str, object] | None) -> str | None:
    """``{"Authorization": "Bearer <t>"}`` or ``{"authToken": "<t>"}`` from connection_init."""
    if not params:
        return None
    header = params.get("Authorization") or params.get("authorization")
    if isinstance(header, str):
        return bearer_token(header)
    token = params.get("authToken")
    return token if isinstance(token, str) and token else None
