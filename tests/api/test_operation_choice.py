"""A document of several operations runs the one the request names, and none without a name.

strawberry ran the document's first operation when the request named none; the GraphQL
spec (GetOperation) makes that a request error. A client that sends a mutation first and
forgets ``operationName`` must not have it run.
"""

import pytest

from tests.client import PROTOCOLS, Api, GraphQLErrors

TWO_QUERIES = "query A { me { id } } query B { me { email } }"
CANCEL_THEN_READ = 'mutation M { cancelJob(id: "%s") { status } } query Q { me { id } }'
NAME_NEEDED = "Must provide operation name if query contains multiple operations."


async def test_two_operations_and_no_name_run_neither(api: Api) -> None:
    token, job = await api.user_with_job()

    for document in (TWO_QUERIES, CANCEL_THEN_READ % job["id"]):
        error = await api.error(document, None, token)
        assert error["message"] == NAME_NEEDED
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": None}

    unchanged = await api.job(token, job["id"])
    assert unchanged is not None and unchanged["status"] != "CANCELLED", "the mutation never ran"


async def test_the_operation_named_is_the_one_that_runs(api: Api) -> None:
    token = await api.register()

    for name, field in (("A", "id"), ("B", "email")):
        response = await api.http.post(
            "/graphql",
            json={"query": TWO_QUERIES, "operationName": name},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert list(response.json()["data"]["me"]) == [field]

    query_over_get = await api.http.get(
        "/graphql",
        params={"query": TWO_QUERIES},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert query_over_get.json()["errors"][0]["message"] == NAME_NEEDED


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_two_operations_and_no_name_over_a_socket_run_neither(
    api: Api, protocol: str
) -> None:
    token, job = await api.user_with_job()

    async with api.socket(token, protocol) as socket:
        await socket.ack()
        operation = await socket.subscribe(CANCEL_THEN_READ % job["id"])
        with pytest.raises(GraphQLErrors) as refused:
            await socket.next_payload(operation)

    assert refused.value.errors[0]["message"] == NAME_NEEDED
    unchanged = await api.job(token, job["id"])
    assert unchanged is not None and unchanged["status"] != "CANCELLED"


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_an_unknown_operation_name_over_a_socket_is_that_operations_error_alone(
    api: Api, protocol: str
) -> None:
    # graphql-transport-ws closed the whole socket (4400) on it, ending the client's other
    # subscriptions; over HTTP and graphql-ws it is a request error like any other.
    token = await api.register()

    async with api.socket(token, protocol) as socket:
        await socket.ack()
        mistaken = await socket.subscribe("query Me { me { id } }", None, "MeTypo")
        with pytest.raises(GraphQLErrors) as refused:
            await socket.next_payload(mistaken)
        still_served = await socket.subscribe("query Me { me { id } }", None, "Me")
        answer = await socket.next_payload(still_served)

    assert refused.value.errors[0]["message"] == 'Unknown operation named "MeTypo".'
    assert refused.value.errors[0]["extensions"] == {"code": "BAD_USER_INPUT", "field": None}
    assert answer is not None and answer["data"]["me"]["id"]
