"""One execution and one encoding of a subscription event for all its subscribers.

An event of a job watched by 5,000 sockets used to be executed 5,000 times through
graphql-core and encoded 5,000 times: 85% of what a delivery cost. A result depends
only on the event, the operation and its variables (the event types' fields read plain
attributes, never the context), so subscribers with the same document and variables
can share it, and the JSON of its data. Events are keyed by content: the hub hands
every subscriber the same ``core.events.JobEvent``, and two equal events would give
equal results anyway.
"""

import json
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any, Protocol

from graphql import ExecutionResult
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

#: (event, document) pairs remembered; one event's fan-out needs one entry per document
SHARED_RESULTS = 256


class SharedRoot(Protocol):
    #: what the result of executing a document against this root depends on, or None
    source_event: Hashable | None


class SharedResults:
    """The last few results of executing an operation against an event, and their JSON."""

    def __init__(self, size: int = SHARED_RESULTS) -> None:
        self.size = size
        self._results: OrderedDict[Hashable, ExecutionResult] = OrderedDict()
        # Keyed by id(): a result's data dict is the same object for every subscriber,
        # and stays alive while its entry does.
        self._encoded: dict[int, str] = {}

    def result(self, key: Hashable) -> ExecutionResult | None:
        return self._results.get(key)

    def remember(self, key: Hashable, result: ExecutionResult) -> None:
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
            # As compact as strawberry's own ``encode_json``.
            cached = self._encoded[id(data)] = json.dumps(data, separators=(",", ":"))
        return cached


def sharing_executor(shared: SharedResults) -> type[StrawberryGraphQLCoreExecutionContext]:
    """strawberry's executor, reusing results of events whose root offers a ``source_event``."""

    class SharingExecutor(StrawberryGraphQLCoreExecutionContext):
        def execute_operation(self, serially: bool | None = None) -> Any:
            key = _key(self)
            if key is None:
                return super().execute_operation(serially)
            cached = shared.result(key)
            if cached is not None:
                return cached
            result = super().execute_operation(serially)
            # Only a complete, synchronous, error-free result is shared: an error may name
            # the subscriber's own path or state.
            if isinstance(result, ExecutionResult) and not result.errors:
                shared.remember(key, result)
            return result

    return SharingExecutor


def _key(executor: StrawberryGraphQLCoreExecutionContext) -> Hashable | None:
    """The event, the document's text, the operation's name and the variables, or None."""
    source = getattr(executor.root_value, "source_event", None)
    operation = executor.operation
    if source is None or operation.loc is None:
        return None
    name = operation.name.value if operation.name else None
    variables = tuple(sorted(executor.variable_values.coerced.items()))
    try:
        hash(variables)
    except TypeError:  # an unhashable variable value (a list or an input object)
        return None
    return (source, operation.loc.source.body, name, variables)
