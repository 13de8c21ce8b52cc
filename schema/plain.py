"""A subscription result built straight from its event when the document asks for plain fields.

``subscription { jobEvents(jobId: $id) { seq type delta } }`` is what clients send: one
root field and, under it, scalar and enum fields that strawberry reads off the event as
attributes. graphql-core's executor spends about 100 µs on such a result, walking its
generic machinery field by field; this plan does the same reads and the same
serialisers (the schema's own) in a loop. Anything else (fragments, directives, nested
objects, resolvers, ``__typename``, a null where the schema says non-null) is left to
graphql-core.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    get_nullable_type,
    is_non_null_type,
)


@dataclass(frozen=True, slots=True)
class _Leaf:
    key: str
    resolve: Callable[..., Any]
    serialize: Callable[[Any], Any]
    non_null: bool


@dataclass(frozen=True, slots=True)
class PlainPlan:
    root_key: str
    leaves: tuple[_Leaf, ...]

    def data(self, root: Any) -> dict[str, Any] | None:
        """The result's ``data`` for this event, or None where graphql-core must decide."""
        fields: dict[str, Any] = {}
        for leaf in self.leaves:
            try:
                value = leaf.resolve(root, None)
            except Exception:
                return None  # graphql-core reports it as a field error
            if value is None:
                if leaf.non_null:
                    return None  # graphql-core reports it as an error
                fields[leaf.key] = None
                continue
            if isinstance(value, Exception):
                return None
            serialized = leaf.serialize(value)
            if serialized is None:
                return None
            fields[leaf.key] = serialized
        return {self.root_key: fields}


def plain_plan(schema: GraphQLSchema, operation: OperationDefinitionNode) -> PlainPlan | None:
    """The plan for a subscription that selects only plain fields of its root's type."""
    subscription = schema.subscription_type
    selections = operation.selection_set.selections
    if (
        operation.operation is not OperationType.SUBSCRIPTION
        or subscription is None
        or len(selections) != 1
        or not isinstance(selections[0], FieldNode)
        or selections[0].directives
        or selections[0].selection_set is None
    ):
        return None
    root = selections[0]
    root_field = subscription.fields.get(root.name.value)
    if root_field is None:
        return None
    parent = get_nullable_type(root_field.type)
    if not isinstance(parent, GraphQLObjectType):
        return None
    assert root.selection_set is not None
    leaves = []
    for node in root.selection_set.selections:
        if not isinstance(node, FieldNode) or node.directives or node.selection_set:
            return None
        field = parent.fields.get(node.name.value)
        leaf = _leaf(node, field) if field is not None else None
        if leaf is None:
            return None
        leaves.append(leaf)
    return PlainPlan((root.alias or root.name).value, tuple(leaves))


def _leaf(node: FieldNode, field: GraphQLField) -> _Leaf | None:
    # Only strawberry's attribute read (its resolver for a field without one of its own).
    if not getattr(field.resolve, "_is_default", False):
        return None
    leaf_type = get_nullable_type(field.type)
    if not isinstance(leaf_type, (GraphQLScalarType, GraphQLEnumType)):
        return None
    assert field.resolve is not None
    return _Leaf(
        key=(node.alias or node.name).value,
        resolve=field.resolve,
        serialize=leaf_type.serialize,
        non_null=is_non_null_type(field.type),
    )
