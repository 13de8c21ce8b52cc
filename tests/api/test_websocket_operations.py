"""Queries and mutations over websockets, on both protocols: one result, then complete."""

import pytest

from tests.client import PROTOCOLS, Api


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_query_and_a_mutation_over_a_socket_get_one_result_each(
    api: Api, protocol: str
) -> None:
    token = await api.register()
    job = await api.create_job(token)

    async with api.socket(token, protocol) as socket:
        await socket.ack()
        me = await socket.collect("query { me { email } }")
        deleted = await socket.collect(
            "mutation($id: ID!) { deleteJob(id: $id) }", {"id": job["id"]}
        )

    assert len(me) == 1 and me[0]["email"].endswith("@example.com")
    assert deleted == [True]
    assert await api.job(token, job["id"]) is None
