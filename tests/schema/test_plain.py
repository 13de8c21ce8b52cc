"""Results built straight from the event equal graphql-core's, field for field."""

from datetime import UTC, datetime
from typing import Any

import pytest
from graphql import GraphQLSchema, parse
from graphql.execution import execute_subscription_event
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from core.events import EventType
from core.events import JobEvent as CoreEvent
from core.jobs import JobStatus
from core.settings import Settings
from schema.build import build_schema
from schema.plain import plain_plan
from schema.sharing import SharedResults
from schema.types.event import JobEvent

AT = datetime(2026, 11, 29, 10, 31, 7, 123456, tzinfo=UTC)


def event(seq: int, kind: EventType, status: JobStatus, **fields: Any) -> CoreEvent:
    progress = fields.pop("progress", 0.0)
    return CoreEvent(
        "j1", "u1", seq, kind, status, fields.pop("attempt", 1), progress, AT, **fields
    )


EVENTS = [
    event(0, EventType.SNAPSHOT, JobStatus.PENDING, attempt=0, text=""),
    event(1, EventType.STATUS, JobStatus.PROCESSING, text=""),
    event(2, EventType.DELTA, JobStatus.PROCESSING, progress=0.125, delta="Dear "),
    event(3, EventType.DELTA, JobStatus.PROCESSING, attempt=2, progress=0.5, delta='é ✓ \n"q"'),
    event(4, EventType.STATUS, JobStatus.FAILED, attempt=3, progress=0.99, text="x", error="boom"),
    event(5, EventType.STATUS, JobStatus.COMPLETED, progress=1.0, text="Dear team"),
]

PLAIN_DOCUMENTS = [
    "subscription($id: ID!) { jobEvents(jobId: $id) {"
    " jobId seq type status attempt progress delta text error at } }",
    "subscription($id: ID!) { jobEvents(jobId: $id) { seq delta } }",
    "subscription($id: ID!) { ev: jobEvents(jobId: $id) { n: seq kind: type at seq } }",
    "subscription S($id: ID!) { jobEvents(jobId: $id) { text status progress } }",
]


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return build_schema(Settings(), SharedResults())._schema


def by_graphql_core(schema: GraphQLSchema, query: str, root: Any) -> Any:
    executor = StrawberryGraphQLCoreExecutionContext.build(
        schema, parse(query), raw_variable_values={"id": "j1"}
    )
    assert isinstance(executor, StrawberryGraphQLCoreExecutionContext), executor
    return execute_subscription_event(executor.build_per_event_executor(root))


@pytest.mark.parametrize("query", PLAIN_DOCUMENTS)
def test_a_plain_selection_gives_what_graphql_core_gives(schema: GraphQLSchema, query: str) -> None:
    document = parse(query)
    plan = plain_plan(schema, document.definitions[0])  # type: ignore[arg-type]
    assert plan is not None

    for event in EVENTS:
        root = JobEvent.from_event(event)
        expected = by_graphql_core(schema, query, root)
        assert expected.errors is None
        assert plan.data(root) == expected.data
        assert list(plan.data(root)[plan.root_key]) == list(expected.data[plan.root_key])  # type: ignore[index]


@pytest.mark.parametrize(
    "query",
    [
        "subscription($id: ID!) { jobEvents(jobId: $id) { __typename seq } }",
        "subscription($id: ID!) { jobEvents(jobId: $id) { ...F } } fragment F on JobEvent { seq }",
        "subscription($id: ID!) { jobEvents(jobId: $id) { ... on JobEvent { seq } } }",
        "subscription($id: ID!, $t: Boolean!) { jobEvents(jobId: $id) { seq @include(if: $t) } }",
        "subscription { myJobs { id usage { model } } }",
        "query { me { id } }",
    ],
)
def test_anything_but_plain_fields_is_left_to_graphql_core(
    schema: GraphQLSchema, query: str
) -> None:
    document = parse(query)
    operation = next(d for d in document.definitions if d.kind == "operation_definition")
    assert plain_plan(schema, operation) is None  # type: ignore[arg-type]


def test_a_null_where_the_schema_says_non_null_is_left_to_graphql_core(
    schema: GraphQLSchema,
) -> None:
    query = PLAIN_DOCUMENTS[1]
    plan = plain_plan(schema, parse(query).definitions[0])  # type: ignore[arg-type]
    assert plan is not None
    broken = JobEvent.from_event(EVENTS[2])
    broken.seq = None  # type: ignore[assignment]

    assert plan.data(broken) is None
    assert by_graphql_core(schema, query, broken).errors, "graphql-core reports the error itself"


def test_a_root_that_cannot_be_read_is_left_to_graphql_core(schema: GraphQLSchema) -> None:
    plan = plain_plan(schema, parse(PLAIN_DOCUMENTS[1]).definitions[0])  # type: ignore[arg-type]
    assert plan is not None

    assert plan.data(object()) is None
