"""A subscription event is executed once per document and variables, for every subscriber."""

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import dataclass

import strawberry
from graphql import ExecutionResult

from schema.sharing import SharedResults, sharing_executor


@dataclass(frozen=True)
class Source:
    topic: str
    n: int


executions: list[tuple[str, int]] = []


@strawberry.type
class Tick:
    topic: str
    n: int
    source_event: strawberry.Private[Source | None] = None

    @strawberry.field
    def label(self) -> str:
        executions.append((self.topic, self.n))
        return f"{self.topic}#{self.n}"


@strawberry.type
class Query:
    ok: bool = True


def ticking_schema(shared: SharedResults, events: list[Source]) -> strawberry.Schema:
    """Every subscriber of a topic gets the same Source objects, as the hub hands them out."""

    @strawberry.type
    class Subscription:
        @strawberry.subscription
        async def ticks(self, topic: str) -> AsyncGenerator[Tick, None]:
            for event in events:
                if event.topic == topic:
                    yield Tick(topic=event.topic, n=event.n, source_event=event)

    return strawberry.Schema(
        query=Query, subscription=Subscription, execution_context_class=sharing_executor(shared)
    )


async def collect(schema: strawberry.Schema, query: str, topic: str) -> list[object]:
    stream = await schema.subscribe(query, variable_values={"t": topic})
    assert not isinstance(stream, strawberry.types.ExecutionResult)
    return [result.data async for result in stream]


LABELS = "subscription($t: String!) { ticks(topic: $t) { n label } }"


async def test_subscribers_with_one_document_share_each_events_execution() -> None:
    executions.clear()
    events = [Source("a", 1), Source("a", 2), Source("b", 1)]
    schema = ticking_schema(SharedResults(), events)

    first, second = await asyncio.gather(collect(schema, LABELS, "a"), collect(schema, LABELS, "a"))

    expected = [{"ticks": {"n": 1, "label": "a#1"}}, {"ticks": {"n": 2, "label": "a#2"}}]
    assert first == second == expected
    assert executions == [("a", 1), ("a", 2)], "each event executed once for both"


async def test_other_documents_and_variables_get_results_of_their_own() -> None:
    executions.clear()
    events = [Source("a", 1), Source("b", 1)]
    schema = ticking_schema(SharedResults(), events)

    labels_a = await collect(schema, LABELS, "a")
    numbers_a = await collect(schema, "subscription($t: String!) { ticks(topic: $t) { n } }", "a")
    aliased_a = await collect(
        schema, "subscription($t: String!) { ticks(topic: $t) { x: label } }", "a"
    )
    labels_b = await collect(schema, LABELS, "b")

    assert labels_a == [{"ticks": {"n": 1, "label": "a#1"}}]
    assert numbers_a == [{"ticks": {"n": 1}}]
    assert aliased_a == [{"ticks": {"x": "a#1"}}]
    assert labels_b == [{"ticks": {"n": 1, "label": "b#1"}}]
    assert executions == [("a", 1), ("a", 1), ("b", 1)]


async def test_old_results_are_forgotten_and_their_encodings_with_them() -> None:
    executions.clear()
    events = [Source("a", n) for n in range(5)]
    shared = SharedResults(size=2)
    schema = ticking_schema(shared, events)

    results = await collect(schema, LABELS, "a")
    again = await collect(schema, LABELS, "a")

    assert results == again
    # Two remembered of five: the second subscriber found each one gone by its turn.
    assert executions == [("a", n) for n in range(5)] * 2
    assert len(shared._encoded) <= 2


def test_a_shared_result_is_encoded_once_and_others_not_at_all() -> None:
    shared = SharedResults()
    data = {"ticks": {"n": 1}}
    shared.remember("key", ExecutionResult(data=data, errors=None))

    assert shared.encoded(data) == '{"ticks":{"n":1}}'
    assert shared.encoded(data) is shared.encoded(data)
    assert shared.encoded({"ticks": {"n": 1}}) is None, "an equal dict that is not shared"
    assert shared.result("key") is not None and shared.result("other") is None


def test_a_replaced_result_takes_its_encoding_with_it() -> None:
    shared = SharedResults()
    first, second = {"n": 1}, {"n": 2}
    shared.remember("key", ExecutionResult(data=first, errors=None))
    assert shared.encoded(first) == '{"n":1}'

    shared.remember("key", ExecutionResult(data=second, errors=None))

    assert shared.encoded(first) is None, "its address may be reused by another dict"
    assert shared.encoded(second) == '{"n":2}'
