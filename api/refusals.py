"""HTTP requests refused before any operation ran, answered as GraphQL responses.

strawberry answered these in plain text (a batch, a body that is not JSON, a mutation
over GET, a body over the limit): a client's GraphQL error handling could not read them,
and they carried none of the contract's codes. The status stays what HTTP says.
"""

from collections.abc import Mapping
from typing import Any

from starlette.responses import JSONResponse

from api.mediatypes import GRAPHQL_RESPONSE_CONTENT_TYPE, GRAPHQL_RESPONSE_JSON, answer_media_type


def request_error(message: str, code: str = "BAD_USER_INPUT") -> dict[str, Any]:
    """A GraphQL error for a client's mistake about no one field (its request or message)."""
    return {"message": message, "extensions": {"code": code, "field": None}}


def refused_request(
    message: str,
    status_code: int,
    *,
    accept: str | None,
    headers: Mapping[str, str] | None = None,
    code: str = "BAD_USER_INPUT",
) -> JSONResponse:
    """``{"errors": [...]}`` with ``message`` and ``code``, and the HTTP status it was
    refused with, in the media type the request's ``accept`` asks for (``api.mediatypes``)."""
    response = JSONResponse(
        {"errors": [request_error(message, code)]}, status_code=status_code, headers=headers
    )
    if answer_media_type(accept) == GRAPHQL_RESPONSE_JSON:
        response.headers["content-type"] = GRAPHQL_RESPONSE_CONTENT_TYPE
    return response
