"""An account deleted through one API process loses its sockets on every other one too."""

import pytest
from websockets.exceptions import ConnectionClosed

from tests.client import PROTOCOLS
from tests.conftest import StartApi
from tests.security.probes import MY_JOBS

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
