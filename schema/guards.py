"""The per-operation limits a hostile document meets before anything runs."""

from collections.abc import Callable
from functools import partial

from graphql import ASTValidationRule
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxTokensLimiter,
    SchemaExtension,
    max_aliases,
    query_depth_limiter,
)

from core.settings import Settings
from schema.caching import ParsedDocuments, ValidatedDocuments
from schema.masking import MaskInternalErrors

ExtensionFactory = Callable[[], SchemaExtension]


def guards(settings: Settings) -> list[ExtensionFactory]:
    """Depth, alias (fragments included) and token limits, introspection, error masking.

    Factories, not instances: strawberry makes fresh extensions for every operation.
    """
    # The rules QueryDepthLimiter and MaxAliasesLimiter would build: made here once, as
    # those extensions make a new class per operation, which every open subscription
    # kept alive (5 KiB each) and every request paid for.
    limits: list[type[ASTValidationRule]] = [
        query_depth_limiter.create_validator(settings.max_query_depth, should_ignore=None),
        max_aliases.create_validator(settings.max_query_aliases),
    ]
    factories: list[ExtensionFactory] = [
        partial(MaxTokensLimiter, max_token_count=settings.max_query_tokens),
        partial(AddValidationRules, limits),
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
