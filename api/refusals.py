"""HTTP requests refused before any operation ran, answered as GraphQL responses.

strawberry answered these in plain text (a batch, a body that is not JSON, a mutation
over GET, a body over the limit): a client's GraphQL error handling could not read them,
and they carried none of the contract's codes. The status stays what HTTP says.
"""

from collections.abc import Mapping

from starlette.responses import JSONResponse


def refused_request(
    message: str, status_code: int, *, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """``{"errors": [...]}`` with ``message``: the client's mistake, about no one field."""
    error = {"message": message, "extensions": {"code": "BAD_USER_INPUT", "field": None}}
    return JSONResponse({"errors": [error]}, status_code=status_code, headers=headers)
