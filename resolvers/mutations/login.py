import strawberry

from core.auth import can_issue_tokens, issue_token
from core.errors import BadUserInput, Forbidden, Unauthenticated
from core.hashing import password_matches
from db import users
from resolvers.context import Info
from resolvers.limits import client_address
from resolvers.validation import normalize_email
from schema.types.user import AuthPayload, User

_REFUSED = "Invalid email or password."


@strawberry.mutation
async def login(info: Info, email: str, password: str) -> AuthPayload:
    if not can_issue_tokens(info.context.settings):
        raise Forbidden("Sign in with the identity provider.")
    try:
        normalized = normalize_email(email)
    except BadUserInput:
        normalized = ""
    limits, address = info.context.limits, client_address(info.context.request)
    with limits.sign_in_attempt(normalized, address) as attempt:
        user = await users.get_user_by_email(info.context.db, normalized) if normalized else None
        # Verified even for an unknown email, so both refusals take the same time.
        matches = await password_matches(user.password_hash if user else None, password)
        if matches and user is not None:
            attempt.passed()
    if attempt.counts or user is None:
        raise Unauthenticated(_REFUSED)
    limits.sign_in_succeeded(normalized, address)
    return AuthPayload(
        token=issue_token(user.id, info.context.settings), user=User.from_record(user)
    )
