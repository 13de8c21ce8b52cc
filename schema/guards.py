"""The per-operation limits a hostile document meets before anything runs."""

from collections.abc import Callable
from functools import partial

from graphql import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension, max_aliases, query_depth_limiter

from core.settings import Settings
from schema.caching import CheckedDocuments

ExtensionFactory = Callable[[], SchemaExtension]


def guards(settings: Settings) -> list[ExtensionFactory]:
    """Depth, alias (fragments included) and token limits, introspection.

    Factories, not instances: strawberry makes fresh extensions for every operation. The
    rules are the ones ``QueryDepthLimiter``, ``MaxAliasesLimiter`` and
    ``DisableIntrospection`` would add, built once here (see ``schema.caching``).
    """
    rules: list[type[ASTValidationRule]] = [
        query_depth_limiter.create_validator(settings.max_query_depth, should_ignore=None),
        max_aliases.create_validator(settings.max_query_aliases),
    ]
    if not settings.introspection_enabled:
        rules.append(NoSchemaIntrospectionCustomRule)
    return [
        partial(CheckedDocuments, max_tokens=settings.max_query_tokens, rules=rules),
    ]
