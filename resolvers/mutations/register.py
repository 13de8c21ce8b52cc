import strawberry

from core.auth import can_issue_tokens, issue_token
from core.errors import Conflict, Forbidden
from core.hashing import hashed_password
from db import users
from resolvers.context import Info
from resolvers.limits import client_address
from resolvers.validation import normalize_email, validate_password
from schema.types.user import AuthPayload, User


@strawberry.mutation
async def register(info: Info, email: str, password: str) -> AuthPayload:
    if not can_issue_tokens(info.context.settings):
        raise Forbidden("Accounts are made with the identity provider.")
    normalized = normalize_email(email, new=True)
    validate_password(password)
    limits, address = info.context.limits, client_address(info.context.request)
    # "Email taken" tells whether an account exists: probing it counts as a failed sign-in.
    with limits.sign_in_attempt(None, address) as attempt, limits.sign_up(address) as sign_up:
        password_hash = await hashed_password(password)
        user = await users.insert_user(
            info.context.db, email=normalized, password_hash=password_hash
        )
        if user is not None:
            attempt.passed()
            sign_up.passed()
    if user is None:
        raise Conflict("An account with this email already exists.")
    return AuthPayload(
        token=issue_token(user.id, info.context.settings), user=User.from_record(user)
    )
