"""Queries and mutations over websockets, on both protocols: one result, then complete."""

import pytest

from tests.client import PROTOCOLS, Api, Json, Socket


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
