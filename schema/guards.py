"""The per-operation limits a hostile document meets before anything runs."""

from collections.abc import Callable
from functools import partial

from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)

from core.settings import Settings
from schema.caching import ParsedDocuments, ValidatedDocuments
from schema.masking import MaskInternalErrors

ExtensionFactory = Callable[[], SchemaExtension]


def guards(settings: Settings) -> list[ExtensionFactory]:
    """Depth, alias (fragments included) and token limits, introspection, error masking.

    Factories, not instances: strawberry makes fresh extensions for every operation.
    """
    factories: list[ExtensionFactory] = [
        partial(MaxTokensLimiter, max_token_count=settings.max_query_tokens),
        partial(QueryDepthLimiter, max_depth=settings.max_query_depth),
        partial(MaxAliasesLimiter, max_alias_count=settings.max_query_aliases),
        partial(MaskInternalErrors, hide_suggestions=not settings.introspection_enabled),
    ]
    if not settings.introspection_enabled:
        factories.append(DisableIntrospection)
    # Last: the rules above are in place by the time a cached validation is looked up.
    factories += [
        ParsedDocuments,
        ValidatedDocuments,
    ]
    return factories
