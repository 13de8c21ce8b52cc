"""Errors a client may see, each with the contract's ``extensions.code``.

Resolvers raise these; anything else is masked to ``INTERNAL`` at the edge.
"""

from typing import Any, ClassVar


class AppError(Exception):
    code: ClassVar[str] = "INTERNAL"
    default_message: ClassVar[str] = "Internal error."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)

    @property
    def extensions(self) -> dict[str, Any]:
        return {"code": self.code}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class Unauthenticated(AppError):
    code = "UNAUTHENTICATED"
    default_message = "Authentication required."


class Forbidden(AppError):
    code = "FORBIDDEN"
    default_message = "Not allowed."


class NotFound(AppError):
    code = "NOT_FOUND"
    default_message = "Not found."


class Conflict(AppError):
    code = "CONFLICT"
    default_message = "Conflict."


class BadUserInput(AppError):
    code = "BAD_USER_INPUT"

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)

    @property
    def extensions(self) -> dict[str, Any]:
        return {"code": self.code, "field": self.field}

    def __repr__(self) -> str:
        return f"BadUserInput(field={self.field!r}, message={self.message!r})"


class ServiceUnavailable(AppError):
    """A dependency (the database) is down; the same request may succeed shortly."""

    code = "INTERNAL"
    default_message = "The service is temporarily unavailable; try again shortly."

    @property
    def extensions(self) -> dict[str, Any]:
        return {"code": self.code, "retryable": True}


class RateLimited(AppError):
    code = "RATE_LIMITED"
    default_message = "Too many requests."

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message)

    @property
    def extensions(self) -> dict[str, Any]:
        return {"code": self.code, "retryAfter": self.retry_after}
