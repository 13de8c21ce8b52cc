"""Door 3, ownership: every field sees only the caller's jobs; others' look like missing ones."""

import asyncio
import uuid

import pytest

from db.connection import Db
from tests.client import PROTOCOLS, Api, GraphQLErrors, Json, Socket
from tests.security.probes import MY_JOBS, assert_serves_an_honest_client, post, rows

BY_ID = [
    "query($id: ID!) { job(id: $id) { id cvText } }",
    "mutation($id: ID!) { cancelJob(id: $id) { id } }",
    "mutation($id: ID!) { retryJob(id: $id) { id } }",
    "mutation($id: ID!) { deleteJob(id: $id) }",
]


def _without_locations(result: Json) -> Json:
    return {
        "data": result.get("data"),
        "errors": [
            {k: v for k, v in error.items() if k != "locations"}
            for error in result.get("errors") or []
        ],
    }


async def test_another_users_job_answers_exactly_like_a_missing_one(api: Api, db: Db) -> None:
    owner, stranger = await api.register(), await api.register()
    job = await api.create_job(owner, companyName="Owner Secret Corp")

    for query in BY_ID:
        theirs = await post(api, query, {"id": job["id"]}, token=stranger)
        missing = await post(api, query, {"id": str(uuid.uuid4())}, token=stranger)
        assert _without_locations(theirs) == _without_locations(missing), query
        assert "Owner Secret Corp" not in str(theirs)
    listing = await api.data("{ jobs { totalCount edges { node { id } } } }", token=stranger)
    assert listing["jobs"] == {"totalCount": 0, "edges": []}
    for job_id in (job["id"], str(uuid.uuid4())):
        with pytest.raises(GraphQLErrors) as refused:
            await api.job_events(stranger, job_id)
        assert refused.value.code == "NOT_FOUND"

    mine = await api.job(owner, job["id"])
    assert mine is not None and mine["status"] != "CANCELLED"  # the stranger changed nothing
    assert await rows(db, "jobs") == 1
    await assert_serves_an_honest_client(api)


async def _drain(socket: Socket, operation: str) -> list[Json]:
    """Every myJobs result until the stream has been quiet for a second."""
    seen: list[Json] = []
    while True:
        try:
            payload = await socket.next_payload(operation, timeout=1)
        except TimeoutError:
            return seen
        assert payload is not None
        seen.append(payload["data"]["myJobs"])


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_my_jobs_streams_only_the_callers_jobs(api: Api, protocol: str) -> None:
    alice, bob = await api.register(), await api.register()
    async with api.socket(alice, protocol) as alice_socket, api.socket(bob, protocol) as bob_socket:
        await alice_socket.ack()
        await bob_socket.ack()
        alice_stream = await alice_socket.subscribe(MY_JOBS)
        bob_stream = await bob_socket.subscribe(MY_JOBS)
        await asyncio.sleep(0.2)  # both registered with the hub before the first event
        alice_job = await api.create_job(alice, companyName="Alice Corp")
        bob_job = await api.create_job(bob, companyName="Bob Corp")
        await api.wait_for_status(alice, alice_job["id"], "COMPLETED")
        await api.wait_for_status(bob, bob_job["id"], "COMPLETED")

        alice_saw = await _drain(alice_socket, alice_stream)
        bob_saw = await _drain(bob_socket, bob_stream)

    assert {job["id"] for job in alice_saw} == {alice_job["id"]}
    assert {job["companyName"] for job in alice_saw} == {"Alice Corp"}
    assert {job["id"] for job in bob_saw} == {bob_job["id"]}
    assert "COMPLETED" in {job["status"] for job in bob_saw}
