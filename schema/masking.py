"""Errors leave the service with a contract code and without internals.

``schema.served.ServedSchema`` hands every result to ``ErrorMasking`` on its way out,
and logs the internal ones (``ServedSchema.process_errors``) before they get here.
"""

import re

from graphql import GraphQLError

from core.errors import AppError, ServiceUnavailable
from db.connection import DatabaseUnavailable

#: what a client sees of an error the service did not expect
INTERNAL_MESSAGE = "Internal error."
# graphql-core names the offending input path: "... at 'i.tone'" (3.2), "... at .tone:" (3.3).
_INPUT_PATH = re.compile(r"at '?\.?([\w.]+)'?:?")
# graphql-core's hints name fields, arguments, types and enum values of the schema.
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def is_internal(error: GraphQLError) -> bool:
    """Whether the service did not expect the error (a bug, an outage), as opposed to a
    client's mistake or a refusal with a contract code."""
    # graphql-core's own errors (syntax, validation, variable coercion) carry no
    # original error, or another GraphQLError: they are the client's mistake.
    original = error.original_error
    return original is not None and not isinstance(original, (AppError, GraphQLError))


class ErrorMasking:
    """Masks unexpected errors as INTERNAL; gives the client's own mistakes BAD_USER_INPUT."""

    def __init__(self, *, hide_suggestions: bool = False) -> None:
        self.hide_suggestions = hide_suggestions

    def mask(self, result: object) -> None:
        """Replace ``result.errors`` with what a client may see of them."""
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = [self.public(error) for error in errors]  # type: ignore[attr-defined]

    def public(self, error: GraphQLError) -> GraphQLError:
        if is_internal(error):
            return _anonymised(error)
        if self.hide_suggestions:
            error.message = _SUGGESTION.sub("", error.message)
        if not (error.extensions or {}).get("code"):
            extensions: dict[str, object] = {"code": "BAD_USER_INPUT"}
            if match := _INPUT_PATH.search(error.message):
                extensions["field"] = match.group(1).rsplit(".", 1)[-1]
            error.extensions = extensions
        return error


def _anonymised(error: GraphQLError) -> GraphQLError:
    public: AppError | None = None
    if isinstance(error.original_error, DatabaseUnavailable):
        public = ServiceUnavailable()
    return GraphQLError(
        message=public.message if public else INTERNAL_MESSAGE,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions=public.extensions if public else {"code": "INTERNAL"},
    )
