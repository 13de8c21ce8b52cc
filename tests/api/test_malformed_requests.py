"""A request that is not a GraphQL request over HTTP gets a 400 that says so, never a 500."""

import asyncio
import json
import logging
from urllib.parse import urlsplit

import pytest

from tests.client import Api, refusal
from tests.waiting import until

DEEP = 5_000
MALFORMED_BODIES = {
    "a string": b'"x"',
    "a number": b"42",
    "null": b"null",
    "a boolean": b"true",
    "nested too deep": b"[" * DEEP + b"]" * DEEP,
    "variables nested too deep": b'{"query": "{ __typename }", "variables": '
    + b'{"a": ' * DEEP
    + b"1"
    + b"}" * DEEP
    + b"}",
    "an integer of 5,000 digits": b'{"query": "{ __typename }", "variables": {"n": '
    + b"1" * 5_000
    + b"}}",
    "not UTF-8": b'{"query": "{ job(id: \\"\xc3\\") { id } }"}',
    "Latin-1": '{"query": "{ __typename }", "variables": {"name": "José"}}'.encode("latin-1"),
}


@pytest.mark.parametrize("body", MALFORMED_BODIES.values(), ids=MALFORMED_BODIES.keys())
async def test_a_body_that_is_not_a_json_object_gets_400(api: Api, body: bytes) -> None:
    answered = await api.http.post(
        "/graphql", content=body, headers={"Content-Type": "application/json"}
    )

    status, message = refusal(answered)
    assert status == 400
    assert message in (
        "Unable to parse request body as JSON",
        "The request's JSON must be an object, or a list of them.",
    )
    assert (await api.execute("{ __typename }"))["data"] == {"__typename": "Query"}


async def test_variables_nested_too_deep_in_a_get_get_400(api: Api) -> None:
    variables = "[" * 2_000 + "]" * 2_000  # past the recursion limit, inside a URL's

    answered = await api.http.get(
        "/graphql", params={"query": "{ __typename }", "variables": variables}
    )

    assert refusal(answered) == (400, "Unable to parse the `variables` query parameter as JSON")


@pytest.mark.parametrize("name", ["variables", "extensions"])
async def test_a_get_parameter_that_is_not_json_is_named_in_its_400(api: Api, name: str) -> None:
    answered = await api.http.get("/graphql", params={"query": "{ __typename }", name: "{nope"})

    assert refusal(answered) == (400, f"Unable to parse the `{name}` query parameter as JSON")


async def test_a_get_with_null_variables_is_answered(api: Api) -> None:
    answered = await api.http.get(
        "/graphql", params={"query": "{ __typename }", "variables": "null"}
    )

    assert answered.status_code == 200
    assert answered.json() == {"data": {"__typename": "Query"}}


async def test_a_get_whose_variables_are_no_object_gets_400(api: Api) -> None:
    answered = await api.http.get("/graphql", params={"query": "{ __typename }", "variables": "5"})

    assert refusal(answered) == (
        400,
        "The GraphQL operation's `variables` must be an object or null, if provided.",
    )


async def test_an_unknown_operation_name_that_is_no_valid_text_gets_400(api: Api) -> None:
    body = json.dumps({"query": "{ __typename }", "operationName": "\ud800"})

    answered = await api.http.post(
        "/graphql", content=body, headers={"Content-Type": "application/json"}
    )

    assert refusal(answered) == (400, 'Unknown operation named "\\ud800".')


async def test_a_client_gone_before_its_body_arrived_is_not_an_error(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    address = urlsplit(api.base_url)
    _, writer = await asyncio.open_connection(address.hostname, address.port)
    writer.write(
        b"POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100\r\n\r\n" + b'{"query":'
    )
    await writer.drain()
    writer.close()
    await writer.wait_closed()

    await until(lambda: any("before its body" in r.getMessage() for r in caplog.records))
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert (await api.execute("{ __typename }"))["data"] == {"__typename": "Query"}


async def test_a_batch_is_refused_as_a_graphql_response_a_client_can_read(api: Api) -> None:
    answered = await api.http.post("/graphql", json=[{"query": "{ __typename }"}] * 2)

    assert refusal(answered) == (400, "Batching is not enabled")
