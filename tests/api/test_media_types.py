"""GraphQL over HTTP's own media type, for the clients that ask for it.

Apollo Client 4 sends ``Accept: application/graphql-response+json,application/json;q=0.9``
and reads the body of a non-2xx answer only in that media type: every refusal (a mutation
over GET, a body over the limit, a batch) reached it as a bare "status code 405" without
the contract's error code.
"""

import json

import pytest

from tests.client import Api
from tests.conftest import StartApi

APOLLO_ACCEPT = "application/graphql-response+json,application/json;q=0.9"
GRAPHQL_RESPONSE = "application/graphql-response+json; charset=utf-8"


async def test_an_answer_goes_out_as_graphql_response_json_to_a_client_that_prefers_it(
    api: Api,
) -> None:
    answered = await api.http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Accept": APOLLO_ACCEPT}
    )

    assert answered.status_code == 200
    assert answered.headers["content-type"] == GRAPHQL_RESPONSE
    assert answered.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize(
    "accept", [None, "application/json", "*/*", "application/json, multipart/mixed"]
)
async def test_other_clients_get_plain_json_as_before(api: Api, accept: str | None) -> None:
    headers = {} if accept is None else {"Accept": accept}
    answered = await api.http.post("/graphql", json={"query": "{ nope }"}, headers=headers)

    assert answered.status_code == 200, "a request error is still a 200 in application/json"
    assert answered.headers["content-type"] == "application/json"
    assert answered.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_plain_json_ranked_higher_is_what_the_client_gets(api: Api) -> None:
    accept = "application/json, application/graphql-response+json;q=0.5"
    answered = await api.http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Accept": accept}
    )

    assert answered.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    "document",
    [
        "{ nope }",  # not valid against the schema
        "{ me { id }",  # does not parse
        "query($first: Int!) { jobs(first: $first) { totalCount } }",  # a variable missing
    ],
)
async def test_a_request_refused_before_it_ran_is_a_400_in_graphql_response_json(
    api: Api, document: str
) -> None:
    # GraphQL over HTTP: in its own media type, a response without ``data`` is a 4xx.
    answered = await api.http.post(
        "/graphql", json={"query": document}, headers={"Accept": APOLLO_ACCEPT}
    )

    assert answered.status_code == 400
    assert answered.headers["content-type"] == GRAPHQL_RESPONSE
    body = answered.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_field_error_keeps_its_200_since_the_operation_ran(api: Api) -> None:
    answered = await api.http.post(
        "/graphql", json={"query": "{ me { id } }"}, headers={"Accept": APOLLO_ACCEPT}
    )

    assert answered.status_code == 200
    assert answered.headers["content-type"] == GRAPHQL_RESPONSE
    body = answered.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_refusals_before_any_operation_reach_the_client_in_its_media_type(
    start_api: StartApi,
) -> None:
    api = await start_api(max_body_bytes=20_000)
    headers = {"Accept": APOLLO_ACCEPT}
    mutation = 'mutation { cancelJob(id: "x") { id } }'

    refusals = [
        await api.http.get("/graphql", params={"query": mutation}, headers=headers),
        await api.http.post("/graphql", json={"query": "x" * 30_000}, headers=headers),
        await api.http.post("/graphql", json=[{"query": "{ __typename }"}] * 2, headers=headers),
        await api.http.put("/graphql", json={"query": "{ __typename }"}, headers=headers),
    ]

    assert [r.status_code for r in refusals] == [405, 413, 400, 405]
    for refused in refusals:
        assert refused.headers["content-type"] == GRAPHQL_RESPONSE
        error = refused.json()["errors"][0]
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": None}


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_a_persisted_query_hash_alone_is_told_persisted_queries_are_not_supported(
    api: Api, method: str
) -> None:
    # Apollo's persisted-query link sends a hash without the query first, and sends the
    # query only when told PERSISTED_QUERY_NOT_SUPPORTED (or NOT_FOUND): "No GraphQL query
    # found" failed every one of its requests.
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": "ab" * 32}}
    headers = {"Accept": APOLLO_ACCEPT}
    if method == "GET":
        params = {"extensions": json.dumps(extensions)}
        answered = await api.http.get("/graphql", params=params, headers=headers)
    else:
        answered = await api.http.post("/graphql", json={"extensions": extensions}, headers=headers)

    assert answered.status_code == 400
    error = answered.json()["errors"][0]
    assert error["extensions"] == {"code": "PERSISTED_QUERY_NOT_SUPPORTED", "field": None}
    with_query = {"query": "{ __typename }", "extensions": extensions}
    assert (await api.http.post("/graphql", json=with_query)).json() == {
        "data": {"__typename": "Query"}
    }
