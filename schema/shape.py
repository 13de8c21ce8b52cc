"""A document's depth, aliases and pages, each fragment measured once however often it is
spread; and a tighter budget for comparing its fields.

strawberry's ``QueryDepthLimiter`` and ``MaxAliasesLimiter`` walk a fragment again at every
spread: twenty fragments that each spread the next one twice took seconds of the event
loop, and every request waited behind them. Here each fragment is measured once. A spread of
a fragment that does not exist, or that spreads itself, counts as nothing: graphql-core's
own rules (``KnownFragmentNames``, ``NoFragmentCycles``) refuse such a document.
"""

from collections.abc import Callable

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    OverlappingFieldsCanBeMergedRule,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    VariableNode,
)

#: what a selection set measures to, given how its fragments measure
Measure = Callable[[SelectionSetNode, Callable[[str], int]], int]


def depth_limit(max_depth: int) -> type[ValidationRule]:
    """Refuses an operation whose fields nest deeper than ``max_depth`` below its root
    fields (introspection fields are not counted), as ``QueryDepthLimiter`` words it."""

    return _per_operation(
        _deepest,
        max_depth,
        lambda name, depth: f"'{name}' exceeds maximum operation depth of {max_depth}",
    )


def alias_limit(max_aliases: int) -> type[ValidationRule]:
    """Refuses a document with more than ``max_aliases`` aliased fields, each spread of a
    fragment counting its aliases again, as ``MaxAliasesLimiter`` words it."""

    class AliasLimit(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            total = sum(aliases for _, aliases in _measured(context, _summed(_is_aliased)))
            if total > max_aliases:
                context.report_error(GraphQLError(f"{total} aliases found. Allowed: {max_aliases}"))

    return AliasLimit


def page_limit(field_name: str, max_rows: int, default_rows: int) -> type[ValidationRule]:
    """Refuses an operation whose ``field_name`` pages ask for more than ``max_rows`` rows
    in all. Each page is bounded by its ``first``, but fifteen aliased pages of 100 letters
    were a 105 MB answer to an 831-byte query. A ``first`` a variable gives counts as the
    most it may be, one left out as ``default_rows``; one the resolver refuses (over
    ``max_rows``: BAD_USER_INPUT naming ``first``) as nothing."""

    def first_of(field: FieldNode) -> int:
        for argument in field.arguments or ():
            if argument.name.value == "first":
                value = argument.value
                if isinstance(value, VariableNode):
                    return max_rows
                if isinstance(value, IntValueNode):
                    return _page_size(value.value, max_rows)
                return 0  # not an Int: refused by graphql-core's own rules
        return default_rows

    def page_of(field: FieldNode) -> int:
        return first_of(field) if field.name.value == field_name else 0

    return _per_operation(
        _summed(page_of),
        max_rows,
        lambda name, asked: (
            f"'{name}' asks for up to {asked} {field_name} in all; at most"
            f" {max_rows} an operation (page through more with `after`)."
        ),
    )


def _page_size(literal: str, most: int) -> int:
    """What a page whose ``first`` is this Int literal asks for: nothing if the resolver
    refuses it (negative, over ``most``, or more digits than Python reads)."""
    if literal.startswith("-") or len(literal) > len(str(most)) or int(literal) > most:
        return 0
    return int(literal)


def bounded_field_merging(budget: int) -> type[ValidationRule]:
    """graphql-core's check that same-named fields can merge, giving up (and refusing the
    document) after ``budget`` units of comparison instead of its own 500,000.

    The check compares every pair of fields that share a response name: 240 ``me { id }``
    fit in 1,000 tokens and held the event loop for a quarter of a second, before any token
    was looked at, and a changed space makes a new document the cache has not seen. Any
    document a client needs compares a few fields at most (the introspection query and
    the web client's documents spend nothing).
    """

    class BoundedFieldMerging(OverlappingFieldsCanBeMergedRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.rule_context.remaining_complexity_budget = budget

    return BoundedFieldMerging


def _per_operation(
    measure: Measure, most: int, says: Callable[[str, int], str]
) -> type[ValidationRule]:
    """A rule refusing each operation that measures more than ``most``, in ``says``'s
    words (given the operation's name and its measure)."""

    class PerOperationLimit(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            for operation, measured in _measured(context, measure):
                if measured > most:
                    name = operation.name.value if operation.name else "anonymous"
                    context.report_error(GraphQLError(says(name, measured), operation))

    return PerOperationLimit


def _measured(
    context: ValidationContext, measure: Measure
) -> list[tuple[OperationDefinitionNode, int]]:
    definitions = context.document.definitions
    fragments = {
        definition.name.value: definition
        for definition in definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    known: dict[str, int] = {}
    measuring: set[str] = set()

    def fragment(name: str) -> int:
        if name in known:
            return known[name]
        definition = fragments.get(name)
        if definition is None or name in measuring:
            return 0  # unknown, or a cycle: refused by graphql-core's own rules
        measuring.add(name)
        known[name] = measure(definition.selection_set, fragment)
        measuring.discard(name)
        return known[name]

    return [
        (definition, measure(definition.selection_set, fragment))
        for definition in definitions
        if isinstance(definition, OperationDefinitionNode)
    ]


def _deepest(selections: SelectionSetNode, fragment: Callable[[str], int]) -> int:
    """How many fields deep the selections go below the set's own (which are level 0)."""
    deepest = 0
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            if selection.selection_set and not selection.name.value.startswith("__"):
                deepest = max(deepest, 1 + _deepest(selection.selection_set, fragment))
        elif isinstance(selection, InlineFragmentNode):
            deepest = max(deepest, _deepest(selection.selection_set, fragment))
        elif isinstance(selection, FragmentSpreadNode):
            deepest = max(deepest, fragment(selection.name.value))
    return deepest


def _is_aliased(field: FieldNode) -> int:
    return field.alias is not None


def _summed(of_field: Callable[[FieldNode], int]) -> Measure:
    """A measure adding up ``of_field`` over every field of the selections, each fragment
    spread counted in full."""

    def total(selections: SelectionSetNode, fragment: Callable[[str], int]) -> int:
        count = 0
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                count += of_field(selection)
                if selection.selection_set:
                    count += total(selection.selection_set, fragment)
            elif isinstance(selection, InlineFragmentNode):
                count += total(selection.selection_set, fragment)
            elif isinstance(selection, FragmentSpreadNode):
                count += fragment(selection.name.value)
        return count

    return total
