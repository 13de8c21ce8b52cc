"""The per-operation limits a hostile document meets before anything runs."""

from collections.abc import Callable
from functools import partial

from graphql import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension

from core.settings import Settings
from resolvers.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from schema.caching import CheckedDocuments
from schema.shape import alias_limit, bounded_field_merging, depth_limit, page_limit

ExtensionFactory = Callable[[], SchemaExtension]

#: units of graphql-core's field comparisons a document may spend (each about 2 µs here):
#: about 70 fields of one name in one selection
FIELD_MERGING_BUDGET = 10_000


def guards(settings: Settings) -> list[ExtensionFactory]:
    """Depth, alias, page (fragments included) and token limits, field comparisons,
    introspection.

    Factories, not instances: strawberry makes fresh extensions for every operation. The
    rules are built once here (see ``schema.caching``): ``DisableIntrospection``'s, and
    depth and alias limits that measure each fragment once (``schema.shape``).
    """
    rules: list[type[ASTValidationRule]] = [
        depth_limit(settings.max_query_depth),
        alias_limit(settings.max_query_aliases),
        bounded_field_merging(FIELD_MERGING_BUDGET),
        page_limit("jobs", MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE),
    ]
    if not settings.introspection_enabled:
        rules.append(NoSchemaIntrospectionCustomRule)
    return [
        partial(CheckedDocuments, max_tokens=settings.max_query_tokens, rules=rules),
    ]
