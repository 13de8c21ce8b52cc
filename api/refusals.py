"""HTTP requests refused before any operation ran, answered as GraphQL responses.

strawberry answered these in plain text (a batch, a body that is not JSON, a mutation
over GET, a body over the limit): a client's GraphQL error handling could not read them,
and they carried none of the contract's codes. The status stays what HTTP says.
"""

from collections.abc import Mapping
from typing import Any

from starlette.responses import JSONResponse


def request_error(message: str) -> dict[str, Any]:
    """A GraphQL error for a client's mistake about no one field (its request or message)."""
    return {"message": message, "extensions": {"code": "BAD_USER_INPUT", "field": None}}


def refused_request(
    message: str, status_code: int, *, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """``{"errors": [...]}`` with ``message``, and the HTTP status it was refused with."""
    return JSONResponse(
        {"errors": [request_error(message)]}, status_code=status_code, headers=headers
    )
