"""Door 2 and door 8: long-lived sockets, their limits, and strawberry's websocket advisories."""

import asyncio
import json
import logging
import time
from datetime import UTC, datetime, timedelta

import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from core.auth import LEEWAY_SECONDS, issue_token
from core.settings import Settings
from db import users
from tests.client import (
    JOB_EVENTS,
    LEGACY_WS,
    PROTOCOLS,
    TRANSPORT_WS,
    Api,
    GraphQLErrors,
    closed_with,
)
from tests.conftest import StartApi
from tests.security.probes import MY_JOBS, assert_serves_an_honest_client, user_id


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_socket_is_closed_with_4403_when_its_token_expires(
    start_api: StartApi, settings: Settings, protocol: str
) -> None:
    api = await start_api()
    subject = await user_id(api, await api.register())
    lifetime = timedelta(seconds=settings.jwt_ttl_seconds)
    short_lived = issue_token(
        subject, settings, now=datetime.now(UTC) - lifetime + timedelta(seconds=1)
    )
    issued = time.monotonic()

    async with api.socket(short_lived, protocol) as socket:
        await socket.ack()
        await socket.subscribe(MY_JOBS)
        code, reason = await closed_with(socket)

    assert (code, reason) == (4403, "Token expired")
    # ``exp`` (whole seconds) came within 1 s of the issue; the socket outlived it by the
    # leeway for clock skew that HTTP requests get too
    assert LEEWAY_SECONDS < time.monotonic() - issued < 1 + LEEWAY_SECONDS + 3
    await assert_serves_an_honest_client(api)


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_connections_per_user_are_capped_and_released(
    start_api: StartApi, protocol: str
) -> None:
    api = await start_api(max_connections_per_user=2)
    token = await api.register()
    async with api.socket(token, protocol) as first, api.socket(token, protocol) as second:
        await first.ack()
        await second.ack()
        async with api.socket(token, protocol) as third:
            if protocol == TRANSPORT_WS:
                # 1013 Try Again Later: not 4403, which tells a client its token is refused
                assert await closed_with(third) == (1013, "Too many open connections (at most 2).")
            else:
                refused = await third.receive(timeout=5)
                assert refused["type"] == "connection_error"
                assert refused["payload"]["message"] == "Too many open connections (at most 2)."
                # then 1013 too (a refused token gets 1011, as the reference server closes)
                assert await closed_with(third) == (1013, "Too many open connections (at most 2).")
        async with api.socket(await api.register(), protocol) as someone_else:
            await someone_else.ack()
    # Closed sockets no longer count.
    async with api.socket(token, protocol) as again:
        await again.ack()


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_subscriptions_per_connection_are_capped(start_api: StartApi, protocol: str) -> None:
    api = await start_api(max_subscriptions_per_connection=2)
    token = await api.register()
    async with api.socket(token, protocol) as socket:
        await socket.ack()
        first = await socket.subscribe(MY_JOBS)
        second = await socket.subscribe(MY_JOBS)
        third = await socket.subscribe(MY_JOBS)
        with pytest.raises(GraphQLErrors) as refused:
            await socket.next_payload(third, timeout=5)
        assert "Subscription limit reached" in str(refused.value)
        # a slot frees when one of the socket's operations ends: worth trying again soon
        assert [error["extensions"] for error in refused.value.errors] == [
            {"code": "RATE_LIMITED", "retryAfter": 1}
        ]

        await socket.stop(first)
        if protocol == LEGACY_WS:
            assert (await socket.receive(timeout=5)) == {"type": "complete", "id": first}
        fourth = await socket.subscribe(MY_JOBS)
        job = await api.create_job(token)
        seen = {}
        for _ in range(2):
            message = await socket.receive(timeout=10)
            seen[message["id"]] = message["payload"]["data"]["myJobs"]["id"]
        assert seen == {second: job["id"], fourth: job["id"]}


@pytest.mark.parametrize(("protocol", "start"), [(LEGACY_WS, "start"), (TRANSPORT_WS, "subscribe")])
async def test_an_operation_before_connection_init_closes_4401_and_runs_nothing(
    api: Api, protocol: str, start: str
) -> None:
    """CVE-2026-35523: legacy graphql-ws ran ``start`` without ``connection_init`` (auth)."""
    owner = await api.register()
    job = await api.create_job(owner)
    async with websockets.connect(api.ws_url, subprotocols=[protocol]) as raw:  # type: ignore[list-item]
        operation = {"query": JOB_EVENTS, "variables": {"id": job["id"]}}
        await raw.send(json.dumps({"id": "1", "type": start, "payload": operation}))
        with pytest.raises(ConnectionClosed) as closed:
            message = await asyncio.wait_for(raw.recv(), 5)
            pytest.fail(f"the server answered before closing: {message!r}")
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
    await assert_serves_an_honest_client(api)


async def test_completed_legacy_subscriptions_release_their_slots(start_api: StartApi) -> None:
    """GHSA-m952-2w3f-6r8h: finished legacy subscriptions kept their slot until ``stop``."""
    api = await start_api(max_subscriptions_per_connection=2)
    token = await api.register()
    jobs = [(await api.create_job(token))["id"] for _ in range(2)]
    for job_id in jobs:  # finished jobs: a SNAPSHOT, then the subscription completes
        await api.data("mutation($id: ID!) { cancelJob(id: $id) { id } }", {"id": job_id}, token)

    async with api.socket(token, LEGACY_WS) as socket:
        await socket.ack()
        for _round in range(3):
            operations = {await socket.subscribe(JOB_EVENTS, {"id": job_id}) for job_id in jobs}
            completed: set[str] = set()
            while completed != operations:
                message = await socket.receive(timeout=10)
                assert message["type"] in ("data", "complete"), message
                if message["type"] == "complete":
                    completed.add(message["id"])


async def test_a_legacy_socket_signed_in_again_renews_its_token_but_cannot_change_hands(
    start_api: StartApi, settings: Settings
) -> None:
    api = await start_api()
    owner, stranger = await api.register(), await api.register()
    renewed = issue_token(await user_id(api, owner), settings, now=datetime.now(UTC))

    async with api.socket(owner, LEGACY_WS) as socket:
        await socket.ack()
        await socket.init(renewed)  # the same user's fresh token: the socket goes on
        await socket.ack()
        await socket.init(stranger)
        refused = await socket.receive()
        code, _ = await closed_with(socket)

    assert refused == {
        "type": "connection_error",
        "payload": {"message": "This socket is another user's; open a new one."},
    }
    assert code == 1011  # after connection_error, as subscriptions-transport-ws closes


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_an_unexpected_error_while_signing_in_is_masked_and_closes_the_socket(
    start_api: StartApi,
    protocol: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Uncaught, it dropped the socket without a close frame (1006) or a connection_error,
    # and uvicorn's log line quoted its message.
    api = await start_api()
    token = await api.register()

    quoted = " ".join(["a", "driver's", "message", "quoting", "a", "CV"])

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError(quoted)

    monkeypatch.setattr(users, "get_user", broken)
    async with api.socket(token, protocol) as socket:
        if protocol == LEGACY_WS:
            refused = await socket.receive(timeout=5)
            assert refused == {
                "type": "connection_error",
                "payload": {"message": "Internal error."},
            }
            assert (await closed_with(socket))[0] == 1011
        else:
            assert await closed_with(socket) == (1011, "Internal error.")

    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage().split(":")[0] for r in errors] == ["internal error in connection_init"]
    assert quoted not in caplog.text
