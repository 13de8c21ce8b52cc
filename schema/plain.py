"""Results built without graphql-core's executor where the document asks for plain fields.

``subscription { jobEvents(jobId: $id) { seq type delta } }`` is what clients send: one
root field and, under it, scalar and enum fields that strawberry reads off the event as
attributes. graphql-core's executor spends about 100 µs on such a result, walking its
generic machinery field by field; a plan does the same reads and the same serialisers
(the schema's own) in a loop. ``plain_plan`` builds a whole event's result;
``PlainSelections`` builds any object's whose selection is plain fields, such as the job
of a polling ``job(id)``. Anything else (fragments, directives, nested objects,
resolvers, ``__typename``, a value the schema refuses) is left to graphql-core.
"""

from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
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
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField


@dataclass(frozen=True, slots=True)
class _Leaf:
    key: str
    read: Callable[[Any], Any]
    serialize: Callable[[Any], Any]
    non_null: bool


@dataclass(frozen=True, slots=True)
class PlainFields:
    """The plain leaves selected on an object, read and serialised in a loop."""

    leaves: tuple[_Leaf, ...]

    def values(self, source: Any) -> dict[str, Any] | None:
        """The object's result, or None where graphql-core must decide."""
        fields: dict[str, Any] = {}
        for leaf in self.leaves:
            try:
                value = leaf.read(source)
                if value is None:
                    if leaf.non_null:
                        return None  # graphql-core reports it as an error
                    fields[leaf.key] = None
                    continue
                if isinstance(value, Exception):
                    return None
                serialized = leaf.serialize(value)
            except Exception:
                return None  # graphql-core reports it as a field error
            if serialized is None:
                return None
            fields[leaf.key] = serialized
        return fields


@dataclass(frozen=True, slots=True)
class PlainPlan:
    root_key: str
    fields: PlainFields

    def data(self, root: Any) -> dict[str, Any] | None:
        """The result's ``data`` for this event, or None where graphql-core must decide."""
        values = self.fields.values(root)
        return None if values is None else {self.root_key: values}


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
    ):
        return None
    root = selections[0]
    root_field = subscription.fields.get(root.name.value)
    if root_field is None:
        return None
    parent = get_nullable_type(root_field.type)
    if not isinstance(parent, GraphQLObjectType):
        return None
    fields = plain_fields(parent, root)
    return None if fields is None else PlainPlan((root.alias or root.name).value, fields)


def plain_fields(parent: GraphQLObjectType, node: FieldNode) -> PlainFields | None:
    """The plan for ``node``'s selection on ``parent``, if it selects only plain leaves."""
    if node.selection_set is None:
        return None
    leaves = []
    for selection in node.selection_set.selections:
        if not isinstance(selection, FieldNode) or selection.directives or selection.selection_set:
            return None
        field = parent.fields.get(selection.name.value)
        leaf = _leaf(selection, field) if field is not None else None
        if leaf is None:
            return None
        leaves.append(leaf)
    return PlainFields(tuple(leaves))


def _leaf(node: FieldNode, field: GraphQLField) -> _Leaf | None:
    # Only strawberry's attribute read (its resolver for a field without one of its own).
    if not getattr(field.resolve, "_is_default", False):
        return None
    leaf_type = get_nullable_type(field.type)
    if not isinstance(leaf_type, (GraphQLScalarType, GraphQLEnumType)):
        return None
    return _Leaf(
        key=(node.alias or node.name).value,
        read=_reader(field),
        serialize=leaf_type.serialize,
        non_null=is_non_null_type(field.type),
    )


def _reader(field: GraphQLField) -> Callable[[Any], Any]:
    """What strawberry's resolver does for the field, without its two calls in between."""
    definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if (
        isinstance(definition, StrawberryField)
        and definition.default_resolver is getattr
        and definition.is_basic_field
    ):
        return attrgetter(definition.python_name)
    resolve = field.resolve
    assert resolve is not None
    return lambda source: resolve(source, None)


class PlainSelections:
    """The plans of the documents and object selections met so far, so a repeated document
    is planned once, not once per subscriber (an idle subscription kept its own copy of its
    plan: 2 KiB of each socket's 53).

    Keyed by the node, which is the same object every time its document comes back from
    the parse cache; an entry holds its node, so the id stays its own.
    """

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._plans: dict[tuple[int, int], tuple[object, Any]] = {}

    def plan(self, parent: GraphQLObjectType, node: FieldNode) -> PlainFields | None:
        """The plan of ``node``'s selection on ``parent`` (see ``plain_fields``)."""
        fields: PlainFields | None = self._remembered(plain_fields, parent, node)
        return fields

    def root_plan(
        self, schema: GraphQLSchema, operation: OperationDefinitionNode
    ) -> PlainPlan | None:
        """The plan of a subscription's whole result (see ``plain_plan``)."""
        plan: PlainPlan | None = self._remembered(plain_plan, schema, operation)
        return plan

    def _remembered(self, build: Callable[[Any, Any], Any], owner: object, node: object) -> Any:
        """``build(owner, node)``, once per pair: a polling query's objects ask per request."""
        key = (id(owner), id(node))
        entry = self._plans.get(key)
        if entry is not None and entry[0] is node:
            return entry[1]
        built = build(owner, node)
        if len(self._plans) >= self.size:
            self._plans.pop(next(iter(self._plans)))  # the oldest: first in, first out
        self._plans[key] = (node, built)
        return built
