"""Queries and mutations over websockets, on both protocols: one result, then complete."""

import asyncio
import json

import pytest
from websockets.exceptions import ConnectionClosed

from tests.client import LEGACY_WS, PROTOCOLS, TRANSPORT_WS, Api, GraphQLErrors, Json, Socket


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_query_and_a_mutation_over_a_socket_get_one_result_each(
    api: Api, protocol: str
) -> None:
    token = await api.register()
    job = await api.create_job(token)

    async with api.socket(token, protocol) as socket:
        await socket.ack()
        me = await _only_result(socket, "query { me { email } }")
        deleted = await _only_result(
            socket, "mutation($id: ID!) { deleteJob(id: $id) }", {"id": job["id"]}
        )

    assert me["data"]["me"]["email"].endswith("@example.com")
    assert deleted["data"] == {"deleteJob": True}
    assert await api.job(token, job["id"]) is None


async def _only_result(socket: Socket, query: str, variables: Json | None = None) -> Json:
    operation = await socket.subscribe(query, variables)
    result = await socket.next_payload(operation)
    assert result is not None
    assert await socket.next_payload(operation) is None, "completed after its one result"
    return result


async def test_a_document_that_does_not_parse_closes_a_graphql_transport_ws_socket_with_4400(
    api: Api,
) -> None:
    # As the protocol's reference server and strawberry do: the reason is the syntax error.
    token = await api.register()
    async with api.socket(token, TRANSPORT_WS) as socket:
        await socket.ack()
        await socket.subscribe("subscription { myJobs {")
        with pytest.raises(ConnectionClosed) as closed:
            await socket.receive(timeout=5)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4400
    assert closed.value.rcvd.reason.startswith("Syntax Error")


async def test_a_document_that_does_not_parse_is_bad_user_input_on_a_graphql_ws_socket(
    api: Api,
) -> None:
    token = await api.register()

    async with api.socket(token, LEGACY_WS) as socket:
        await socket.ack()
        operation = await socket.subscribe("subscription { myJobs {")
        with pytest.raises(GraphQLErrors) as refused:
            await socket.next_payload(operation, timeout=5)
        me = await _only_result(socket, "query { me { email } }")

    assert [error["extensions"]["code"] for error in refused.value.errors] == ["BAD_USER_INPUT"]
    assert refused.value.errors[0]["message"].startswith("Syntax Error")
    assert me["data"]["me"]["email"].endswith("@example.com"), "the socket stays open"


async def test_a_ping_is_answered_with_a_pong_carrying_its_payload(api: Api) -> None:
    async with api.socket(await api.register(), TRANSPORT_WS) as socket:
        await socket.ack()
        for ping in ({"type": "ping", "payload": {"sent": 123}}, {"type": "ping"}):
            await socket.send(ping)
            pong = json.loads(await asyncio.wait_for(socket.connection.recv(), 10))
            assert pong == {**ping, "type": "pong"}


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_variable_that_cannot_be_used_is_an_error_message_not_a_result(
    api: Api, protocol: str
) -> None:
    # As a validation error is: refused before execution began. It came as a result with
    # "data": null, then complete.
    token = await api.register()

    async with api.socket(token, protocol) as socket:
        await socket.ack()
        operation = await socket.subscribe(
            "query($f: Int!) { jobs(first: $f) { totalCount } }", {"f": None}
        )
        refused = await socket.receive(timeout=5)
        me = await _only_result(socket, "query { me { email } }")

    assert (refused["type"], refused["id"]) == ("error", operation)
    errors = refused["payload"] if isinstance(refused["payload"], list) else [refused["payload"]]
    assert [error["extensions"] for error in errors] == [{"code": "BAD_USER_INPUT", "field": "f"}]
    assert me["data"]["me"]["email"].endswith("@example.com"), "nothing more came for it"
