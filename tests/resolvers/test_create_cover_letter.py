"""createCoverLetter: limits, idempotency, and nothing written for bad input."""

import logging
import uuid

import pytest

from db.connection import Db
from tests.client import SAMPLE_INPUT, Api

CREATE = (
    "mutation($i: CoverLetterInput!, $k: String) {"
    " createCoverLetter(input: $i, idempotencyKey: $k) { id status } }"
)

INVALID_INPUTS = [
    ("jobDescription", {"jobDescription": ""}),
    ("jobDescription", {"jobDescription": "   "}),
    ("jobDescription", {"jobDescription": "x" * 20_001}),
    ("cvText", {"cvText": ""}),
    ("cvText", {"cvText": "x" * 50_001}),
    ("companyName", {"companyName": "x" * 201}),
    ("applicantName", {"applicantName": "x" * 201}),
]


@pytest.mark.parametrize(
    ("field", "change"), INVALID_INPUTS, ids=[f"{f}-{i}" for i, (f, _) in enumerate(INVALID_INPUTS)]
)
async def test_each_limit_is_bad_user_input_with_its_field_and_writes_nothing(
    api: Api, db: Db, field: str, change: dict[str, str]
) -> None:
    token = await api.register()

    error = await api.error(CREATE, {"i": {**SAMPLE_INPUT, **change}}, token)

    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    assert await db.fetch_val("SELECT COUNT(*) FROM jobs") == 0


async def test_the_largest_allowed_input_is_accepted(api: Api) -> None:
    token = await api.register()
    job = await api.create_job(
        token,
        jobDescription="d" * 20_000,
        cvText="c" * 50_000,
        companyName="n" * 200,
        applicantName="a" * 200,
    )
    assert job["status"] == "PENDING"


async def test_names_are_stored_trimmed_and_their_limit_is_on_what_is_stored(api: Api) -> None:
    token = await api.register()
    padded = await api.create_job(token, companyName="  " + "n" * 200 + "  ", applicantName="   ")

    stored = await api.data(
        "query($id: ID!) { job(id: $id) { companyName applicantName } }",
        {"id": padded["id"]},
        token,
    )

    assert stored["job"] == {"companyName": "n" * 200, "applicantName": None}


async def test_an_unknown_tone_is_rejected_by_the_schema(api: Api, db: Db) -> None:
    token = await api.register()
    error = await api.error(CREATE, {"i": {**SAMPLE_INPUT, "tone": "SARCASTIC"}}, token)
    assert "SARCASTIC" in error["message"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "tone"}
    assert await db.fetch_val("SELECT COUNT(*) FROM jobs") == 0


LITERAL = "mutation { createCoverLetter(input: {%s}) { id } }"
#: input the schema itself refuses, each with the argument or input field it is about
SCHEMA_REFUSALS = [
    ("cvText", CREATE, {"i": {"jobDescription": "a role"}}),
    ("cvText", CREATE, {"i": {"jobDescription": "a role", "cvText": None}}),
    ("bogus", CREATE, {"i": {**SAMPLE_INPUT, "bogus": 1}}),
    ("i", CREATE, {}),
    ("cvText", LITERAL % 'jobDescription: "a role"', None),
    ("cvText", LITERAL % 'jobDescription: "a role", cvText: null', None),
    ("jobDescription", LITERAL % 'jobDescription: 5, cvText: "a CV"', None),
    ("tone", LITERAL % 'jobDescription: "a role", cvText: "a CV", tone: SARCASTIC', None),
    ("id", "mutation { cancelJob { id } }", None),
    ("first", '{ jobs(first: "ten") { totalCount } }', None),
    # a field or an argument the schema lacks is the field at fault too
    ("nope", "{ me { id nope } }", None),
    ("foo", "{ jobs(foo: 1) { totalCount } }", None),
]


@pytest.mark.parametrize(("field", "query", "variables"), SCHEMA_REFUSALS)
async def test_input_the_schema_refuses_is_bad_user_input_naming_its_field(
    api: Api, db: Db, field: str, query: str, variables: dict[str, object] | None
) -> None:
    token = await api.register()
    error = await api.error(query, variables, token)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}, error
    assert await db.fetch_val("SELECT COUNT(*) FROM jobs") == 0


async def test_an_over_long_idempotency_key_is_bad_user_input(api: Api, db: Db) -> None:
    token = await api.register()
    error = await api.error(CREATE, {"i": SAMPLE_INPUT, "k": "k" * 201}, token)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "idempotencyKey"}
    assert await db.fetch_val("SELECT COUNT(*) FROM jobs") == 0


async def test_the_same_idempotency_key_twice_gives_one_job(api: Api, db: Db) -> None:
    token = await api.register()
    key = str(uuid.uuid4())

    first = await api.create_job(token, idempotency_key=key)
    second = await api.create_job(token, idempotency_key=key)

    assert first["id"] == second["id"]
    assert await db.fetch_val("SELECT COUNT(*) FROM jobs") == 1


async def test_the_same_key_for_a_different_request_is_a_conflict(api: Api, db: Db) -> None:
    token = await api.register()
    key = str(uuid.uuid4())
    first = await api.create_job(token, idempotency_key=key)

    for change in ({"companyName": "Another Co"}, {"tone": "FRIENDLY"}, {"cvText": "Other CV."}):
        error = await api.error(CREATE, {"i": {**SAMPLE_INPUT, **change}, "k": key}, token)
        assert error["extensions"] == {"code": "CONFLICT"}, change
    again = await api.create_job(token, idempotency_key=key)

    assert again["id"] == first["id"], "the same request still gets its job"
    assert await db.fetch_val("SELECT COUNT(*) FROM jobs") == 1


async def test_the_same_key_from_two_users_gives_two_jobs(api: Api) -> None:
    key = "shared-key"
    first = await api.create_job(await api.register(), idempotency_key=key)
    second = await api.create_job(await api.register(), idempotency_key=key)
    assert first["id"] != second["id"]


async def test_creating_needs_a_token(api: Api, db: Db) -> None:
    error = await api.error(CREATE, {"i": SAMPLE_INPUT})
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert await db.fetch_val("SELECT COUNT(*) FROM jobs") == 0


#: documents that do not parse, as a client mistyping them sends them
UNPARSABLE = [
    "{ me {",
    "}}}",
    "{ me { id } } trailing",
    "query Q($a:) { me { id } }",
    "   ",
    "{ me { } }",  # SelectionSet is { Selection+ }; graphql-core would accept it
]


@pytest.mark.parametrize("query", UNPARSABLE)
async def test_a_document_that_does_not_parse_is_bad_user_input(api: Api, query: str) -> None:
    token = await api.register()
    error = await api.error(query, None, token)
    assert error["message"].startswith("Syntax Error"), error
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": None}


async def test_a_mutation_with_an_empty_selection_set_is_refused_and_places_no_job(
    api: Api, db: Db
) -> None:
    empty = "mutation($i: CoverLetterInput!) { createCoverLetter(input: $i) { } }"

    error = await api.error(empty, {"i": SAMPLE_INPUT}, await api.register())

    assert error["message"].startswith("Syntax Error"), error
    assert await db.fetch_val("SELECT COUNT(*) FROM jobs") == 0


@pytest.mark.parametrize(
    "query",
    [
        "{ jobs(first: %s) { totalCount } }",
        "query($f: Int! = %s) { jobs(first: $f) { totalCount } }",
    ],
)
async def test_an_integer_literal_too_long_to_read_is_bad_user_input(
    api: Api, query: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Python reads no integer of more than 4,300 digits: that ValueError was INTERNAL,
    # logged as the service's own error for anyone, signed in or not, to repeat.
    error = await api.error(query % ("9" * 4_400), None, await api.register())

    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert error["message"] == "Expected value of type 'Int': the literal cannot be read."
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


#: requests refused before execution began, and the error each gets
REFUSED_BEFORE_EXECUTION = {
    "a syntax error": ("{ me {", None),
    "a validation error": ("{ me { nope } }", None),
    "a variable that is null": (
        "query($f: Int!) { jobs(first: $f) { totalCount } }",
        {"f": None},
    ),
    "a variable of the wrong type": (
        "query($f: Int!) { jobs(first: $f) { totalCount } }",
        {"f": "many"},
    ),
    "an input variable missing a field": (CREATE, {"i": {"cvText": "CV."}}),
}


@pytest.mark.parametrize(
    "query, variables", REFUSED_BEFORE_EXECUTION.values(), ids=REFUSED_BEFORE_EXECUTION.keys()
)
async def test_a_request_refused_before_execution_has_no_data_entry(
    api: Api, query: str, variables: dict[str, object] | None
) -> None:
    # The GraphQL spec, "Response": an error raised before execution begins leaves the
    # data entry out; a variable that could not be coerced came back with "data": null.
    result = await api.execute(query, variables, await api.register())

    assert "data" not in result, result
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_an_execution_error_that_reaches_the_root_keeps_data_null(api: Api) -> None:
    result = await api.execute("{ me { email } }")  # me is non-null: its error nulls data

    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
