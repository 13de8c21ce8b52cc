"""Another user's job behaves like a missing one; no token, no service."""

import json
import uuid

import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from tests.client import JOB_EVENTS, LEGACY_WS, TRANSPORT_WS, Api, GraphQLErrors


async def test_another_users_job_is_invisible(api: Api) -> None:
    owner = await api.register()
    stranger = await api.register()
    job = await api.create_job(owner)

    assert await api.job(stranger, job["id"]) is None
    cancel = await api.error(
        "mutation($id: ID!) { cancelJob(id: $id) { id } }", {"id": job["id"]}, stranger
    )
    assert cancel["extensions"]["code"] == "NOT_FOUND"
    retry = await api.error(
        "mutation($id: ID!) { retryJob(id: $id) { id } }", {"id": job["id"]}, stranger
    )
    assert retry["extensions"]["code"] == "NOT_FOUND"
    delete = await api.error(
        "mutation($id: ID!) { deleteJob(id: $id) }", {"id": job["id"]}, stranger
    )
    assert delete["extensions"]["code"] == "NOT_FOUND"
    listing = await api.data("{ jobs { totalCount edges { node { id } } } }", token=stranger)
    assert listing["jobs"] == {"totalCount": 0, "edges": []}
    assert await api.job(owner, job["id"]) is not None


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_job_events_of_another_users_job_is_refused_like_a_missing_one(
    api: Api, protocol: str
) -> None:
    owner = await api.register()
    stranger = await api.register()
    job = await api.create_job(owner)

    for job_id in (job["id"], str(uuid.uuid4())):
        async with api.socket(stranger, protocol) as socket:
            await socket.ack()
            operation = await socket.subscribe(JOB_EVENTS, {"id": job_id})
            with pytest.raises(GraphQLErrors) as refused:
                await socket.next_payload(operation)
            assert refused.value.code == "NOT_FOUND"


async def test_no_token_over_http_is_unauthenticated(api: Api) -> None:
    for query in ("{ me { id } }", "{ jobs { totalCount } }"):
        error = await api.error(query)
        assert error["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_garbage_token_over_http_is_unauthenticated(api: Api) -> None:
    error = await api.error("{ me { id } }", token="not-a-jwt")
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


async def test_no_token_on_graphql_transport_ws_is_closed_with_4403(api: Api) -> None:
    async with api.socket(None, TRANSPORT_WS) as socket:
        with pytest.raises(ConnectionClosed) as closed:
            await socket.receive(timeout=5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def test_a_bad_token_on_legacy_graphql_ws_gets_connection_error_then_close(api: Api) -> None:
    async with api.socket("not-a-jwt", LEGACY_WS) as socket:
        message = await socket.receive(timeout=5)
        assert message["type"] == "connection_error"
        with pytest.raises(ConnectionClosed):
            await socket.receive(timeout=5)


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_a_token_with_a_lone_utf16_half_is_refused_as_any_bad_token(
    api: Api, protocol: str
) -> None:
    # JSON carries "\\ud800"; the token check raised on it and the socket just dropped.
    token = await api.register()
    async with api.socket(token[:-1] + "\ud800", protocol) as socket:
        if protocol == LEGACY_WS:
            assert (await socket.receive(timeout=5))["type"] == "connection_error"
        with pytest.raises(ConnectionClosed) as closed:
            await socket.receive(timeout=5)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == (4403 if protocol == TRANSPORT_WS else 1011)


async def test_auth_token_key_in_connection_init_is_accepted(api: Api) -> None:
    token = await api.register()
    async with websockets.connect(api.ws_url, subprotocols=[TRANSPORT_WS]) as raw:  # type: ignore[list-item]
        await raw.send(json.dumps({"type": "connection_init", "payload": {"authToken": token}}))
        assert json.loads(await raw.recv())["type"] == "connection_ack"


async def test_register_login_and_me(api: Api) -> None:
    email = f"Person-{uuid.uuid4().hex[:6]}@Example.com "
    token = await api.register(email, "a long password")
    login = await api.data(
        "mutation($e: String!, $p: String!) {"
        " login(email: $e, password: $p) { token user { email } } }",
        {"e": email.strip().upper(), "p": "a long password"},
    )
    assert login["login"]["user"]["email"] == email.strip().lower()
    me = await api.data("{ me { email createdAt } }", token=login["login"]["token"])
    assert me["me"]["email"] == email.strip().lower()
    assert (await api.data("{ me { email } }", token=token))["me"] == {
        "email": email.strip().lower()
    }


async def test_register_twice_is_a_conflict_and_wrong_password_is_unauthenticated(api: Api) -> None:
    email = f"twice-{uuid.uuid4().hex[:6]}@example.com"
    await api.register(email, "first password")
    again = await api.error(
        'mutation($e: String!) { register(email: $e, password: "another one") { token } }',
        {"e": email},
    )
    assert again["extensions"]["code"] == "CONFLICT"
    wrong = await api.error(
        'mutation($e: String!) { login(email: $e, password: "wrong password") { token } }',
        {"e": email},
    )
    unknown = await api.error(
        'mutation { login(email: "nobody@example.com", password: "wrong password") { token } }'
    )
    assert wrong["extensions"]["code"] == unknown["extensions"]["code"] == "UNAUTHENTICATED"
    assert wrong["message"] == unknown["message"]
