"""Errors leave the service with a contract code and without internals."""

import re

from graphql import GraphQLError
from strawberry.extensions import MaskErrors

from core.errors import AppError, ServiceUnavailable
from db.connection import DatabaseUnavailable

# graphql-core names the offending input path: "... at 'i.tone'" (3.2), "... at .tone:" (3.3).
_INPUT_PATH = re.compile(r"at '?\.?([\w.]+)'?:?")
# graphql-core's hints name fields, arguments, types and enum values of the schema.
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def _is_internal(error: GraphQLError) -> bool:
    # graphql-core's own errors (syntax, validation, variable coercion) carry no
    # original error, or another GraphQLError: they are the client's mistake.
    original = error.original_error
    return original is not None and not isinstance(original, (AppError, GraphQLError))


class MaskInternalErrors(MaskErrors):
    """Masks unexpected errors as INTERNAL; gives the client's own mistakes BAD_USER_INPUT."""

    def __init__(self, *, hide_suggestions: bool = False) -> None:
        super().__init__(should_mask_error=self._classify, error_message="Internal error.")
        self.hide_suggestions = hide_suggestions

    def _classify(self, error: GraphQLError) -> bool:
        if _is_internal(error):
            return True
        if self.hide_suggestions:
            error.message = _SUGGESTION.sub("", error.message)
        if not (error.extensions or {}).get("code"):
            extensions: dict[str, object] = {"code": "BAD_USER_INPUT"}
            if match := _INPUT_PATH.search(error.message):
                extensions["field"] = match.group(1).rsplit(".", 1)[-1]
            error.extensions = extensions
        return False

    def _process_result(self, result: object) -> None:
        # strawberry's own checks ``isinstance`` against a runtime Protocol, which walks
        # the class's attributes: 5% of a subscription event's delivery, errors or not.
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = self._process_errors(errors)  # type: ignore[attr-defined]

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        public: AppError | None = None
        if isinstance(error.original_error, DatabaseUnavailable):
            public = ServiceUnavailable()
        return GraphQLError(
            message=public.message if public else self.error_message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions=public.extensions if public else {"code": "INTERNAL"},
        )
