import strawberry

from core.auth import hash_password, issue_token
from core.errors import Conflict
from db import users
from resolvers.context import Info
from resolvers.validation import normalize_email, validate_password
from schema.types.user import AuthPayload, User


@strawberry.mutation
async def register(info: Info, email: str, password: str) -> AuthPayload:
    normalized = normalize_email(email)
    validate_password(password)
    user = await users.insert_user(
        info.context.db, email=normalized, password_hash=hash_password(password)
    )
    if user is None:
        raise Conflict("An account with this email already exists.")
    return AuthPayload(
        token=issue_token(user.id, info.context.settings), user=User.from_record(user)
    )
