"""An account deleted through one API process loses its sockets on every other one too."""

import pytest
from websockets.exceptions import ConnectionClosed

from tests.client import PROTOCOLS, SAMPLE_INPUT, GraphQLErrors
from tests.conftest import StartApi
from tests.security.probes import CREATE, MY_JOBS

PASSWORD = "correct horse 1"
DELETE_ACCOUNT = "mutation($p: String!) { deleteAccount(password: $p) }"


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_socket_on_another_process_is_closed_when_its_account_is_deleted(
    start_api: StartApi, protocol: str
) -> None:
    serving = await start_api()
    elsewhere = await start_api(account_check_seconds=0.2)
    token = await serving.register(f"leaving-{protocol}@example.com", PASSWORD)
    bystander = await serving.register()

    async with (
        elsewhere.socket(token, protocol) as leaving,
        elsewhere.socket(bystander, protocol) as staying,
    ):
        for socket in (leaving, staying):
            await socket.ack()
            await socket.subscribe(MY_JOBS)
        deleted = await serving.data(DELETE_ACCOUNT, {"p": PASSWORD}, token)
        assert deleted["deleteAccount"] is True

        with pytest.raises(ConnectionClosed) as closed:
            await leaving.receive(timeout=10)
        assert closed.value.rcvd is not None
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4403, "Account deleted")

        # The other user's socket on that process is untouched and still serves.
        job = await serving.create_job(bystander)
        operation = "1"
        pushed = await staying.next_payload(operation)
        assert pushed is not None and pushed["data"]["myJobs"]["id"] == job["id"]


@pytest.mark.parametrize("max_active_jobs", [0, 5])
async def test_a_job_asked_for_on_such_a_socket_before_it_closes_is_refused_as_the_account_gone(
    start_api: StartApi, max_active_jobs: int
) -> None:
    # The socket's user was read as it signed in; the INSERT finds the account gone, and
    # the refusal said "at most 0 letters in progress" (RATE_LIMITED) instead.
    serving = await start_api()
    elsewhere = await start_api(account_check_seconds=60, max_active_jobs=max_active_jobs)
    token = await serving.register(f"leaving-{max_active_jobs}@example.com", PASSWORD)

    async with elsewhere.socket(token) as socket:
        await socket.ack()
        await serving.data(DELETE_ACCOUNT, {"p": PASSWORD}, token)
        operation = await socket.subscribe(CREATE, {"i": SAMPLE_INPUT})
        with pytest.raises(GraphQLErrors) as refused:
            await socket.next_payload(operation)

    assert refused.value.code == "UNAUTHENTICATED"
    assert refused.value.errors[0]["message"] == "Invalid token."
