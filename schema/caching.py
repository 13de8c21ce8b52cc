"""Each distinct document parsed and validated once, under this deployment's limits.

Parsing and validating (the depth, alias and token guards included) were two thirds of a
polling query's CPU. strawberry's own caches do not fit: its ``ValidationCache`` keys on
the rule classes, and ``QueryDepthLimiter`` builds a new one per operation. Its limiter
extensions also hold a hook open (``on_operation``) for as long as an operation runs,
which for a subscription is as long as it stays open. Here the limits are one extension
with parse and validate hooks only, and the cache key is the schema and the document's
text (a string hashes once; a document hashes by walking its whole tree).
"""

import re
from collections.abc import Iterator, Sequence
from functools import lru_cache

from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OverlappingFieldsCanBeMergedRule,
    parse,
)
from graphql.validation.validate import ValidationAbortedError
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionContext

#: distinct documents kept parsed and validated
CACHED_DOCUMENTS = 256
#: graphql-core's words, which strawberry never gets to say: it names the document's first
#: operation when the request names none, and runs that one
OPERATION_NAME_NEEDED = "Must provide operation name if query contains multiple operations."
#: said instead of graphql-core's bare "Validation aborted.", which it says once a document
#: spends its budget of field comparisons (``schema.shape.bounded_field_merging``)
TOO_COMPLEX = "The document has too many fields to check; select fewer at once."


class CheckedDocuments(SchemaExtension):
    """Refuses documents over ``max_tokens`` or breaking ``rules``; remembers the verdicts."""

    #: its hooks only set the execution context and yield (``schema.served.SIMPLE_HOOKS``)
    simple_hooks = True

    def __init__(self, *, max_tokens: int, rules: Sequence[type[ASTValidationRule]]) -> None:
        self.max_tokens = max_tokens
        self.rules = tuple(rules)

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        # Also for strawberry's own parse, which reports a document that fails here.
        context.parse_options["max_tokens"] = self.max_tokens
        # The spec's SelectionSet is { Selection+ }: `createCoverLetter(…) {}` is no request.
        # (strawberry's ParseOptions names only some of graphql-core's parse arguments)
        context.parse_options["allow_empty_selection_sets"] = False  # type: ignore[typeddict-unknown-key]
        if context.query is not None:
            try:
                context.graphql_document = _parse(context.query, self.max_tokens)
            except GraphQLError:
                pass  # not cached: strawberry parses it again and reports the error
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        context.validation_rules = (
            # replaced by a bounded one among ``self.rules`` (``schema.shape``)
            *(r for r in context.validation_rules if r is not OverlappingFieldsCanBeMergedRule),
            *self.rules,
        )
        document, query = context.graphql_document, context.query
        if document is not None and query is not None and context.pre_execution_errors is None:
            errors = list(
                _validated(context.schema._schema, query, document, context.validation_rules)
            )
            if _provided_operation_name(context) is None and _operations(document) > 1:
                errors.append(GraphQLError(OPERATION_NAME_NEEDED))
            context.pre_execution_errors = errors
        yield


def _provided_operation_name(context: ExecutionContext) -> str | None:
    # What the request named: the public ``operation_name`` falls back to the first one's.
    name: str | None = getattr(context, "_provided_operation_name", None)
    return name


def _operations(document: DocumentNode) -> int:
    return sum(isinstance(d, OperationDefinitionNode) for d in document.definitions)


@lru_cache(maxsize=CACHED_DOCUMENTS)
def _parse(query: str, max_tokens: int) -> DocumentNode:
    return parse(query, max_tokens=max_tokens, allow_empty_selection_sets=False)


def _validated(
    schema: GraphQLSchema,
    query: str,
    document: DocumentNode,
    rules: tuple[type[ASTValidationRule], ...],
) -> tuple[GraphQLError, ...]:
    # A served schema's rules are fixed when it is built, so they need not be in the key.
    key = (schema, query)
    cached = _VALIDATED.get(key)
    if cached is None:
        cached = tuple(
            _as_the_clients(error) for error in validate_document(schema, document, rules)
        )
        if len(_VALIDATED) >= CACHED_DOCUMENTS:
            _VALIDATED.pop(next(iter(_VALIDATED)))  # the oldest: first in, first out
        _VALIDATED[key] = cached
    return cached


def _as_the_clients(error: GraphQLError) -> GraphQLError:
    """A validation error as the client's mistake it is, in words meant for a client."""
    if isinstance(error, ValidationAbortedError):
        return GraphQLError(TOO_COMPLEX)
    if error.original_error is None or isinstance(error.original_error, GraphQLError):
        return error
    # A literal a scalar's parser raised on: Python reads no integer of more than 4,300
    # digits, and graphql-core quotes that ValueError (and the whole literal) in its
    # message. Kept as it was, the error would count as the service's own (INTERNAL).
    expected = _EXPECTED.match(error.message)
    said = expected.group(0) if expected else "This value is not valid"
    return GraphQLError(f"{said}: the literal cannot be read.", error.nodes)


_EXPECTED = re.compile(r"^Expected value of type '[^']+'")
_VALIDATED: dict[tuple[GraphQLSchema, str], tuple[GraphQLError, ...]] = {}
