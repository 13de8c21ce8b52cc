"""Errors leave the service with a contract code and without internals.

``schema.served.ServedSchema`` hands every result to ``ErrorMasking`` on its way out,
and logs the internal ones (``ServedSchema.process_errors``) before they get here.
"""

import re

from graphql import ArgumentNode, GraphQLError, ObjectFieldNode, parse, visit
from graphql.language import Visitor
from strawberry.schema.exceptions import CannotGetOperationTypeError

from core.errors import AppError, ServiceUnavailable
from db.connection import DatabaseUnavailable

#: what a client sees of an error the service did not expect
INTERNAL_MESSAGE = "Internal error."
#: how graphql-core names the input at fault in its messages, most precise first: the path
#: inside a variable ("... at .tone:" in 3.3, "... at 'i.tone';" in 3.2), a required or an
#: unknown field of an input object, a required argument ("Argument 'Mutation.cancelJob(id:)'
#: ..."), and, for a variable that was not given at all, the variable ("Variable '$i' ...").
#: Messages quote the client's value too ("found: {...}"): the patterns match graphql-core's
#: own words, which come before it.
_NAMED_INPUT = [
    re.compile(r"has invalid value at \.([\w.]+):"),
    re.compile(r"got invalid value .*? at '([\w.]+)'; "),
    re.compile(r"(?:required|unknown) field '(\w+)'"),
    re.compile(r"Argument '[\w.]+\((\w+):\)'"),
    re.compile(r"Variable '\$(\w+)'"),
    # a field or an argument the schema does not have ("Cannot query field 'nope' on type
    # 'User'.", "Unknown argument 'foo' on field 'Query.jobs'.")
    re.compile(r"^Cannot query field '(\w+)'"),
    re.compile(r"^Unknown argument '(\w+)'"),
]
# graphql-core's hints name fields, arguments, types and enum values of the schema.
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def is_internal(error: GraphQLError) -> bool:
    """Whether the service did not expect the error (a bug, an outage), as opposed to a
    client's mistake or a refusal with a contract code."""
    # graphql-core's own errors (syntax, validation, variable coercion) carry no
    # original error, or another GraphQLError: they are the client's mistake, as is an
    # operation a subscription names that its document lacks (over HTTP, strawberry
    # answers that one 400 before anything runs).
    original = error.original_error
    return original is not None and not isinstance(
        original, (AppError, GraphQLError, CannotGetOperationTypeError)
    )


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
            # The contract gives BAD_USER_INPUT a field: null when the mistake is the
            # document's as a whole (its syntax, its size, a fragment), not one field's.
            error.extensions = {"code": "BAD_USER_INPUT", "field": _input_named_by(error)}
        return error


def _input_named_by(error: GraphQLError) -> str | None:
    """The argument or input field a client's mistake is about, if it is about one."""
    for pattern in _NAMED_INPUT:
        if match := pattern.search(error.message):
            return match.group(1).rsplit(".", 1)[-1]
    return _input_holding(error)


def _input_holding(error: GraphQLError) -> str | None:
    """The argument or input field whose literal value the error points at (a message
    about a value, ``String cannot represent a non string value: 5``, names no field)."""
    if not error.source or not error.positions:
        return None
    # Parsed again, and only for such an error: the error keeps its source, not its document.
    try:
        document = parse(error.source)
    except GraphQLError:
        return None  # the error is the syntax error itself: no argument holds anything
    holder = _Holder(next(iter(error.positions)))
    visit(document, holder)
    return holder.name


class _Holder(Visitor):
    def __init__(self, position: int) -> None:
        super().__init__()
        self.position = position
        self.name: str | None = None

    def enter_argument(self, node: ArgumentNode, *_: object) -> None:
        self._hold(node)

    def enter_object_field(self, node: ObjectFieldNode, *_: object) -> None:
        self._hold(node)

    def _hold(self, node: ArgumentNode | ObjectFieldNode) -> None:
        # The innermost holder wins: visited later, it overwrites its parents.
        if node.value.loc is not None and node.value.loc.start == self.position:
            self.name = node.name.value


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
