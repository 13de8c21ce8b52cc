"""Tokens and passwords: pure helpers, no I/O."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from core.errors import Unauthenticated
from core.settings import Settings

_hasher = PasswordHasher()
# Verifying against this when the email is unknown keeps login's timing the same.
_DUMMY_HASH = _hasher.hash("careerops-timing-equaliser")


@dataclass(frozen=True)
class Claims:
    user_id: str
    expires_at: datetime


def issue_token(user_id: str, settings: Settings, *, now: datetime | None = None) -> str:
    issued = now or datetime.now(UTC)
    payload = {
        "sub": user_id,
        "iat": issued,
        "exp": issued + timedelta(seconds=settings.jwt_ttl_seconds),
    }
    return jwt.encode(payload, settings.secret, algorithm=settings.jwt_algorithm)


def decode_token(token: str, settings: Settings) -> Claims:
    try:
        payload = jwt.decode(
            token,
            settings.secret,
            algorithms=[settings.jwt_algorithm],
            options={"require": ["sub", "exp"]},
            leeway=5,
        )
    except jwt.ExpiredSignatureError as e:
        raise Unauthenticated("Token expired.") from e
    except jwt.PyJWTError as e:
        raise Unauthenticated("Invalid token.") from e
    subject = payload["sub"]
    if not isinstance(subject, str) or not subject:
        raise Unauthenticated("Invalid token.")
    return Claims(user_id=subject, expires_at=datetime.fromtimestamp(payload["exp"], UTC))


def bearer_token(header_value: str | None) -> str | None:
    """The token in an ``Authorization: Bearer <token>`` value, if any."""
    if not header_value:
        return None
    scheme, _, token = header_value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
