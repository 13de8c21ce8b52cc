import strawberry

from core.auth import issue_token, verify_password
from core.errors import BadUserInput, Unauthenticated
from db import users
from resolvers.context import Info
from resolvers.validation import normalize_email
from schema.types.user import AuthPayload, User

_REFUSED = "Invalid email or password."


@strawberry.mutation
async def login(info: Info, email: str, password: str) -> AuthPayload:
    try:
        normalized = normalize_email(email)
    except BadUserInput:
        normalized = ""
    user = await users.get_user_by_email(info.context.db, normalized) if normalized else None
    # Verified even for an unknown email, so both refusals take the same time.
    if not verify_password(user.password_hash if user else None, password) or user is None:
        raise Unauthenticated(_REFUSED)
    return AuthPayload(
        token=issue_token(user.id, info.context.settings), user=User.from_record(user)
    )
