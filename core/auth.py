"""Tokens and passwords: pure helpers, no I/O."""

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from core.errors import Forbidden, Unauthenticated
from core.settings import RSA_ALGORITHMS, Settings

#: seconds of clock skew tolerated on ``exp`` (and ``iat``/``nbf``)
LEEWAY_SECONDS = 5

_hasher = PasswordHasher()
# Verifying against this when the email is unknown keeps login's timing the same.
_DUMMY_HASH = _hasher.hash("careerops-timing-equaliser")


@dataclass(frozen=True)
class Claims:
    user_id: str
    expires_at: datetime


def can_issue_tokens(settings: Settings) -> bool:
    """False when an external identity provider holds the signing key (RS* without ours)."""
    return settings.jwt_algorithm not in RSA_ALGORITHMS or settings.jwt_private_key is not None


def issue_token(user_id: str, settings: Settings, *, now: datetime | None = None) -> str:
    issued = now or datetime.now(UTC)
    payload: dict[str, Any] = {
        "sub": user_id,
        "iat": issued,
        "exp": issued + timedelta(seconds=settings.jwt_ttl_seconds),
    }
    if settings.jwt_issuer:
        payload["iss"] = settings.jwt_issuer
    if settings.jwt_audience:
        payload["aud"] = settings.jwt_audience
    return jwt.encode(payload, _signing_key(settings), algorithm=settings.jwt_algorithm)


def _signing_key(settings: Settings) -> str:
    if settings.jwt_algorithm not in RSA_ALGORITHMS:
        return settings.secret
    if settings.jwt_private_key is None:
        raise Forbidden("Sign in with the identity provider.")
    return str(settings.jwt_private_key)


def _verifying_key(settings: Settings) -> str:
    if settings.jwt_algorithm not in RSA_ALGORITHMS:
        return settings.secret
    if not settings.jwt_public_key:
        raise Unauthenticated("Invalid token.")
    return settings.jwt_public_key


def decode_token(token: str, settings: Settings) -> Claims:
    """The verified claims; the algorithm is pinned, ``sub`` and ``exp`` are required.

    A polling client presents the same token many times a minute, and checking its
    signature was a tenth of a polling query's CPU: a verified token is remembered (only
    its expiry needs checking again; its ``nbf`` had passed when it was verified).
    """
    if not token.isascii():
        # A JWT is base64url and dots; PyJWT would raise UnicodeEncodeError on a lone
        # UTF-16 half (a JSON connection_init can carry one), not an error it names.
        raise Unauthenticated("Invalid token.")
    claims = _verified(token, settings)
    if claims.expires_at.timestamp() + LEEWAY_SECONDS <= time.time():
        raise Unauthenticated("Token expired.")
    return claims


@lru_cache(maxsize=4096)
def _verified(token: str, settings: Settings) -> Claims:
    """Verify the signature and claims (failures are raised, so never cached)."""
    required = ["sub", "exp"]
    required += ["iss"] if settings.jwt_issuer else []
    required += ["aud"] if settings.jwt_audience else []
    try:
        payload = jwt.decode(
            token,
            _verifying_key(settings),
            algorithms=[settings.jwt_algorithm],
            options={"require": required},
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            leeway=LEEWAY_SECONDS,
        )
    except jwt.ExpiredSignatureError as e:
        raise Unauthenticated("Token expired.") from e
    except jwt.PyJWTError as e:
        raise Unauthenticated("Invalid token.") from e
    subject = payload["sub"]
    if not _names_a_user(subject):
        raise Unauthenticated("Invalid token.")
    return Claims(user_id=subject, expires_at=_expiry(payload["exp"]))


def _names_a_user(subject: object) -> bool:
    """Whether ``sub`` could be a row's id: text PostgreSQL can hold (no NUL, no lone
    UTF-16 half), so a signer's odd subject is an invalid token, not a failed lookup."""
    if not isinstance(subject, str) or not subject or "\x00" in subject:
        return False
    try:
        subject.encode()
    except UnicodeEncodeError:
        return False
    return True


def _expiry(exp: object) -> datetime:
    """``exp`` as a moment. PyJWT takes anything ``int()`` reads (a numeric string, 10**20):
    a signer's mistake that must be refused like any invalid token, not fail the request."""
    if isinstance(exp, bool) or not isinstance(exp, (int, float)):
        raise Unauthenticated("Invalid token.")
    try:
        return datetime.fromtimestamp(exp, UTC)
    except (OverflowError, OSError, ValueError) as e:
        raise Unauthenticated("Invalid token.") from e


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
    except (VerificationError, InvalidHashError, UnicodeEncodeError):
        return False
