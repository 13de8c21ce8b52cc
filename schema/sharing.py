"""One execution and one encoding of a subscription event for all its subscribers.

An event of a job watched by 5,000 sockets used to be executed 5,000 times through
graphql-core and encoded 5,000 times: more than half of what a delivery cost. A result
depends only on the event, the operation and its variables (the event types' fields read
plain attributes, never the context), so subscribers with the same document and
variables can share it, and the JSON of its data. A root value opts in with a
``source_event`` attribute, the ``core.events.JobEvent`` it was made from; events are
keyed by content: the hub hands every subscriber the same one, and two equal events
would give equal results anyway.
"""

import weakref
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any, cast

from graphql import ExecutionResult, GraphQLObjectType, GraphQLResolveInfoHelpers
from graphql.execution import Executor
from graphql.execution.collect_fields import FieldDetailsList
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from core.json_text import json_text
from schema.express import CURRENT_LANE
from schema.plain import PlainPlan, PlainSelections

#: (event, document) pairs remembered; one event's fan-out needs one entry per document
SHARED_RESULTS = 256


class SharedResults:
    """The last few results of executing an operation against an event, and their JSON."""

    def __init__(self, size: int = SHARED_RESULTS) -> None:
        self.size = size
        self._results: OrderedDict[Hashable, ExecutionResult] = OrderedDict()
        # Keyed by id(): a result's data dict is the same object for every subscriber,
        # and stays alive while its entry does.
        self._encoded: dict[int, str] = {}
        #: (event, document key, JSON) of the last ``SharingExecutor.ready_json``: a
        #: fan-out asks for it once per subscriber in a row, and an event compared by
        #: identity costs nothing where its hash reads every field
        self.last_json: tuple[object, Hashable, str] | None = None

    def result(self, key: Hashable) -> ExecutionResult | None:
        return self._results.get(key)

    def remember(self, key: Hashable, result: ExecutionResult) -> None:
        # An id() must leave ``_encoded`` with its result: a later dict may get the address.
        replaced = self._results.pop(key, None)
        if replaced is not None:
            self._encoded.pop(id(replaced.data), None)
        self._results[key] = result
        if len(self._results) > self.size:
            _, evicted = self._results.popitem(last=False)
            self._encoded.pop(id(evicted.data), None)
        if result.data is not None:
            self._encoded.setdefault(id(result.data), "")

    def encoded(self, data: object) -> str | None:
        """The JSON of a shared result's ``data``, encoded once; None if it is not shared."""
        cached = self._encoded.get(id(data))
        if cached is None:
            return None
        if not cached:
            # As the view's own ``encode_json``.
            cached = self._encoded[id(data)] = json_text(data)
        return cached


def sharing_executor(shared: SharedResults) -> type[StrawberryGraphQLCoreExecutionContext]:
    """strawberry's executor, reusing results of events whose root offers a ``source_event``,
    and building results of plain selections without graphql-core (``schema.plain``):
    a whole event's, or any object's whose fields are all plain (a polling ``job(id)``)."""
    selections = PlainSelections()

    class SharingExecutor(StrawberryGraphQLCoreExecutionContext):
        #: set on a per-event copy whose result is to be remembered
        share_key: Hashable | None = None
        #: the document, operation and variables of a subscription; computed on first use
        document_key: object = _UNKNOWN
        #: how to build a result without graphql-core, if the selection allows; ditto
        plan: object = _UNKNOWN

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            lane = CURRENT_LANE.get()
            if lane is not None and lane.executor is None:
                # The operation's own executor: graphql-core makes it first, then one per
                # event that needs its walk.
                lane.executor = self
            # graphql-core's helpers are the executor's own bound methods: a reference cycle
            # that left every request's executor, context, request and user to the cyclic
            # collector, 53 objects a request, instead of freeing them when it ended.
            self.async_helpers = _helpers_of(self)

        def build_per_event_executor(self, payload: Any) -> Executor[Any]:
            key = self._share_key(payload)
            result = self._ready_result(key, payload)
            if result is not None:
                # No copy of the executor either: that was a tenth of a delivery.
                return cast(Executor[Any], _Ready(result))
            executor = cast(SharingExecutor, super().build_per_event_executor(payload))
            executor.share_key = key
            return executor

        def ready_json(self, root: Any) -> str | None:
            """The JSON of the event's ``data`` if its result needs no graphql-core, is
            shared, and is free of errors and extensions; else None."""
            key = self._share_key(root)
            if key is None:
                return None
            source, document_key = key
            last = shared.last_json
            if last is not None and last[0] is source and last[1] == document_key:
                return last[2]
            result = self._ready_result(key, root)
            if result is None or result.errors or result.extensions:
                return None
            encoded = shared.encoded(result.data)
            if encoded is not None:
                shared.last_json = (source, document_key, encoded)
            return encoded

        def _ready_result(
            self, key: tuple[Any, Hashable] | None, root: Any
        ) -> ExecutionResult | None:
            """The event's result if it needs no graphql-core: remembered for this
            document and event, or built by the document's plain plan; else None."""
            if key is not None and (remembered := shared.result(key)) is not None:
                return remembered
            if self.plan is _UNKNOWN:
                self.plan = selections.root_plan(self.schema, self.operation)
            if isinstance(self.plan, PlainPlan) and (data := self.plan.data(root)) is not None:
                result = ExecutionResult(data=data, errors=None)
                if key is not None:
                    shared.remember(key, result)
                return result
            return None

        def _share_key(self, payload: Any) -> tuple[Any, Hashable] | None:
            source = getattr(payload, "source_event", None)
            if source is None:
                return None
            if self.document_key is _UNKNOWN:
                self.document_key = _document_key(self)
            return None if self.document_key is None else (source, self.document_key)

        def collect_and_execute_subfields(
            self,
            return_type: GraphQLObjectType,
            field_details_list: FieldDetailsList,
            path: Path,
            result: Any,
            position_context: Any,
        ) -> Any:
            # graphql-core's field-by-field walk was a sixth of a polling query's CPU.
            if len(field_details_list) == 1 and field_details_list[0].defer_usage is None:
                fields = selections.plan(return_type, field_details_list[0].node)
                if fields is not None and (values := fields.values(result)) is not None:
                    return values
            return super().collect_and_execute_subfields(
                return_type, field_details_list, path, result, position_context
            )

        def execute_operation(self, serially: bool | None = None) -> Any:
            result = super().execute_operation(serially)
            # Only a complete, synchronous, error-free result is shared: an error may name
            # the subscriber's own path or state.
            if self.share_key is not None and isinstance(result, ExecutionResult):
                if not result.errors:
                    shared.remember(self.share_key, result)
            return result

    return SharingExecutor


def _helpers_of(executor: Executor[Any]) -> GraphQLResolveInfoHelpers:
    """The executor's async helpers, holding it weakly: it outlives every resolver call."""
    gather = weakref.WeakMethod(executor.gather_async_work)
    track = weakref.WeakMethod(executor.track_async_work)
    return GraphQLResolveInfoHelpers(
        gather=lambda values: _alive(gather)(values), track=lambda values: _alive(track)(values)
    )


def _alive(method: "weakref.WeakMethod[Any]") -> Any:
    bound = method()
    assert bound is not None, "an async helper was called after its execution ended"
    return bound


class _Ready:
    """Stands in for a per-event executor whose result is already known."""

    def __init__(self, result: ExecutionResult) -> None:
        self.result = result

    def execute_operation(self, serially: bool | None = None) -> ExecutionResult:
        return self.result


_UNKNOWN = object()


def _document_key(executor: Executor[Any]) -> Hashable | None:
    """The document's text, the operation's name and the variables; None if not shareable."""
    operation = executor.operation
    if operation.loc is None:
        return None
    name = operation.name.value if operation.name else None
    variables = tuple(sorted(executor.variable_values.coerced.items()))
    try:
        hash(variables)
    except TypeError:  # an unhashable variable value (a list or an input object)
        return None
    return (operation.loc.source.body, name, variables)
