"""Door 6, browsers: CORS and websocket origins from one allow-list, and the page's headers."""

import json
import logging

import pytest
import websockets
from websockets.exceptions import InvalidStatus

from core.logs import quiet_libraries
from db.connection import Db
from tests.client import PROTOCOLS, TRANSPORT_WS, Api
from tests.conftest import StartApi
from tests.security.probes import assert_serves_an_honest_client, rows

APP = "https://app.example"
EVIL = "https://evil.example"
PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization,content-type",
}


async def test_cors_answers_only_the_allowed_origins(start_api: StartApi) -> None:
    api = await start_api(allowed_origins=(APP,))
    token = await api.register()

    allowed = await api.http.options("/graphql", headers={"Origin": APP, **PREFLIGHT})
    foreign = await api.http.options("/graphql", headers={"Origin": EVIL, **PREFLIGHT})
    read = await api.http.post(
        "/graphql",
        json={"query": "{ me { email } }"},
        headers={"Origin": EVIL, "Authorization": f"Bearer {token}"},
    )

    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == APP
    assert foreign.status_code == 400
    assert "access-control-allow-origin" not in foreign.headers
    # A simple request is answered, but without the header the browser never shows it to evil.
    assert "access-control-allow-origin" not in read.headers
    await assert_serves_an_honest_client(api)


async def _connect(api: Api, protocol: str, origin: str | None) -> str:
    """The first message after connection_init, or the refusal."""
    token = await api.register()
    try:
        async with websockets.connect(
            api.ws_url,
            subprotocols=[protocol],  # type: ignore[list-item]
            origin=origin,  # type: ignore[arg-type]
        ) as raw:
            init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
            await raw.send(json.dumps(init))
            return str(json.loads(await raw.recv())["type"])
    except InvalidStatus as refused:
        return f"HTTP {refused.response.status_code}"


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_websocket_from_a_foreign_origin_is_refused_at_the_handshake(
    start_api: StartApi, db: Db, protocol: str
) -> None:
    api = await start_api(allowed_origins=(APP,))
    own = api.base_url

    assert await _connect(api, protocol, EVIL) == "HTTP 403"
    assert await _connect(api, protocol, "null") == "HTTP 403"
    assert await _connect(api, protocol, own) == "connection_ack"
    assert await _connect(api, protocol, APP) == "connection_ack"
    assert await _connect(api, protocol, None) == "connection_ack"  # not a browser
    assert await rows(db, "jobs") == 0


async def test_a_refused_origin_is_told_at_debug_naming_the_setting(
    start_api: StartApi, caplog: pytest.LogCaptureFixture
) -> None:
    # strawberry told each at WARNING, with "add it to `allowed_origins`": any page could
    # fill the log, and the setting is CAREEROPS_ALLOWED_ORIGINS.
    quiet_libraries()  # as every process configures its logs
    api = await start_api(allowed_origins=(APP,))
    caplog.set_level(logging.DEBUG, logger="api.graphql")

    assert await _connect(api, TRANSPORT_WS, EVIL) == "HTTP 403"

    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    told = [r.getMessage() for r in caplog.records if r.name == "api.graphql"]
    assert told == [f"refused a websocket from origin '{EVIL}': not in CAREEROPS_ALLOWED_ORIGINS"]


async def test_the_page_and_the_api_send_security_headers(api: Api) -> None:
    page = await api.http.get("/")
    graphql = await api.http.post("/graphql", json={"query": "{ __typename }"})

    policy = page.headers["content-security-policy"]
    for directive in ("default-src 'none'", "script-src 'self'", "frame-ancestors 'none'"):
        assert directive in policy
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cross-origin-opener-policy"] == "same-origin"
    assert "camera=()" in page.headers["permissions-policy"]
    # Answers carry tokens and CVs: never cached, never sniffed.
    assert graphql.headers["cache-control"] == "no-store"
    assert graphql.headers["x-content-type-options"] == "nosniff"
