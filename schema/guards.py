"""The per-operation limits a hostile document meets before anything runs."""

from collections.abc import Callable
from functools import partial

from graphql import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension

from core.settings import Settings
from schema.caching import CheckedDocuments
from schema.shape import alias_limit, depth_limit

ExtensionFactory = Callable[[], SchemaExtension]


def guards(settings: Settings) -> list[ExtensionFactory]:
    """Depth, alias (fragments included) and token limits, introspection.

    Factories, not instances: strawberry makes fresh extensions for every operation. The
    rules are built once here (see ``schema.caching``): ``DisableIntrospection``'s, and
    depth and alias limits that measure each fragment once (``schema.shape``).
    """
    rules: list[type[ASTValidationRule]] = [
        depth_limit(settings.max_query_depth),
        alias_limit(settings.max_query_aliases),
    ]
    if not settings.introspection_enabled:
        rules.append(NoSchemaIntrospectionCustomRule)
    return [
        partial(CheckedDocuments, max_tokens=settings.max_query_tokens, rules=rules),
    ]
