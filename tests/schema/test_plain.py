"""Results built straight from the event equal graphql-core's, field for field."""

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
import strawberry
from graphql import FieldNode, GraphQLObjectType, GraphQLSchema, OperationDefinitionNode, parse
from graphql.execution import execute_subscription_event
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from core.events import EventType
from core.events import JobEvent as CoreEvent
from core.jobs import JobStatus, Tone
from core.settings import Settings
from schema.build import build_schema
from schema.plain import PlainSelections, plain_plan
from schema.sharing import SharedResults, sharing_executor
from schema.types.event import JobEvent
from schema.types.job import Job
from schema.types.usage import Usage

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


# Any object whose selection is plain fields is built by the plan too: a polling job(id).
JOB = Job(
    id=strawberry.ID("j1"),
    status=JobStatus.COMPLETED,
    tone=Tone.ENTHUSIASTIC,
    job_description="Data engineer",
    cv_text="Six years of pipelines",
    company_name=None,
    applicant_name="Jordan Lee",
    cover_letter='Dear team, é ✓ \n"q"',
    partial_text="Dear team",
    progress=1.0,
    error=None,
    attempts=2,
    seq=7,
    created_at=AT,
    updated_at=AT,
    completed_at=AT,
    usage=Usage(
        model="m",
        prompt_tokens=3,
        completion_tokens=None,
        time_to_first_token_ms=12,
        duration_ms=None,
        prompt_version="v1",
    ),
)


@strawberry.type
class JobsQuery:
    @strawberry.field
    def job(self) -> Job | None:
        return JOB

    @strawberry.field
    def jobs(self) -> list[Job]:
        return [JOB, replace(JOB, id=strawberry.ID("j2"), seq=None)]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "query",
    [
        "{ job { id status tone companyName applicantName coverLetter partialText progress"
        " error attempts seq createdAt completedAt } }",
        "{ j: job { s: seq seq id } }",
        "{ job { id usage { model promptTokens completionTokens durationMs } } }",
        "{ job { __typename id } }",
        "{ job { ...F } } fragment F on Job { id seq }",
        "query($t: Boolean!) { job { id seq @include(if: $t) } }",
        "{ jobs { id seq } }",  # the second job's null seq: graphql-core's error, not ours
    ],
)
def test_objects_of_plain_fields_are_built_as_graphql_core_builds_them(query: str) -> None:
    served = strawberry.Schema(JobsQuery, execution_context_class=sharing_executor(SharedResults()))
    reference = strawberry.Schema(JobsQuery)

    ours = served.execute_sync(query, variable_values={"t": False})
    expected = reference.execute_sync(query, variable_values={"t": False})

    assert ours.data == expected.data
    assert json.dumps(ours.data) == json.dumps(expected.data), "same keys, same order"
    assert [(e.message, e.path) for e in ours.errors or []] == [
        (e.message, e.path) for e in expected.errors or []
    ]


def test_a_plain_selection_is_planned_once_per_document() -> None:
    schema = build_schema(Settings(), SharedResults())._schema
    job_type = schema.get_type("Job")
    assert isinstance(job_type, GraphQLObjectType)
    node, same_text_elsewhere = (root_field("{ job(id: 1) { id seq } }") for _ in range(2))
    selections = PlainSelections()

    first = selections.plan(job_type, node)

    assert first is not None
    assert selections.plan(job_type, node) is first
    assert selections.plan(job_type, same_text_elsewhere) is not first, "keyed by node, not id"


def test_every_subscriber_of_one_document_shares_its_plan() -> None:
    schema = build_schema(Settings(), SharedResults())._schema
    operation, same_text_elsewhere = (operation_of(PLAIN_DOCUMENTS[1]) for _ in range(2))
    selections = PlainSelections()

    first = selections.root_plan(schema, operation)

    assert first is not None
    assert selections.root_plan(schema, operation) is first
    assert selections.root_plan(schema, same_text_elsewhere) is not first, "keyed by node"
    assert selections.root_plan(schema, operation_of("subscription { x: __typename }")) is None


def operation_of(query: str) -> OperationDefinitionNode:
    operation = parse(query).definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    return operation


def root_field(query: str) -> FieldNode:
    operation = parse(query).definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    node = operation.selection_set.selections[0]
    assert isinstance(node, FieldNode)
    return node
