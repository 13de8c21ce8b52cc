"""Parse and validate each distinct document once: clients send the same few over and over.

Parsing and validating (the depth, alias and token guards included) were two thirds of a
polling query's CPU. strawberry's own ``ValidationCache`` never hits with those guards:
``QueryDepthLimiter`` builds a fresh rule class per operation, and the rule classes are
part of its cache key. A served schema's rules are fixed when it is built, so here the
key is the schema and the document's text (a string hashes once; a document hashes by
walking its whole tree).
"""

from collections.abc import Iterator
from functools import lru_cache

from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema, parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

#: distinct documents kept parsed and validated
CACHED_DOCUMENTS = 256


@lru_cache(maxsize=CACHED_DOCUMENTS)
def _parse(query: str, max_tokens: int | None) -> DocumentNode:
    return parse(query, max_tokens=max_tokens)


class ParsedDocuments(SchemaExtension):
    """strawberry's ``ParserCache``, except that a document that fails to parse is left
    to strawberry's own parse, so its syntax error is reported (and masked) like any other.
    """

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query is not None:
            try:
                context.graphql_document = _parse(
                    context.query, context.parse_options.get("max_tokens")
                )
            except GraphQLError:
                pass  # not cached: strawberry parses it again and reports the error
        yield


class ValidatedDocuments(SchemaExtension):
    """The validation errors (usually none) of a document this schema has seen before."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document, query = context.graphql_document, context.query
        if document is not None and query is not None and context.pre_execution_errors is None:
            rules = tuple(context.validation_rules)
            context.pre_execution_errors = list(
                _validated(context.schema._schema, query, document, rules)
            )
        yield


def _validated(
    schema: GraphQLSchema,
    query: str,
    document: DocumentNode,
    rules: tuple[type[ASTValidationRule], ...],
) -> tuple[GraphQLError, ...]:
    key = (schema, query)
    cached = _VALIDATED.get(key)
    if cached is None:
        cached = tuple(validate_document(schema, document, rules))
        if len(_VALIDATED) >= CACHED_DOCUMENTS:
            _VALIDATED.pop(next(iter(_VALIDATED)))  # the oldest: first in, first out
        _VALIDATED[key] = cached
    return cached


_VALIDATED: dict[tuple[GraphQLSchema, str], tuple[GraphQLError, ...]] = {}
