"""A websocket message its protocol does not define gets that protocol's answer, never a
dropped socket, an unanswered operation or a server error in the log."""

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from tests.client import LEGACY_WS, PROTOCOLS, TRANSPORT_WS, Api, GraphQLErrors, Socket
from tests.conftest import StartApi

DEEP = 5_000
NOT_OBJECTS = ["[1]", '"x"', "null", "5"]
UNREADABLE = [
    '{"type": "ping", "p": ' + "[" * DEEP + "]" * DEEP + "}",
    '{"n": ' + "1" * 5_000 + "}",
]
MY_JOBS = "subscription { myJobs { id } }"
BAD_OPERATIONS: list[Any] = [
    "x",
    [],
    None,
    {"query": 5},
    {"query": MY_JOBS, "variables": "x"},
    {"query": MY_JOBS, "operationName": 5},
]


@pytest.fixture
def no_server_errors(caplog: pytest.LogCaptureFixture) -> Any:
    yield
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], "a client's mistake is not the server's error"


async def _signed_in(api: Api, protocol: str) -> Any:
    return api.socket(await api.register(), protocol)


@asynccontextmanager
async def _not_signed_in(api: Api, protocol: str) -> AsyncIterator[Socket]:
    async with websockets.connect(api.ws_url, subprotocols=[protocol]) as connection:  # type: ignore[list-item]
        yield Socket(connection, protocol)


async def _closed_with(socket: Socket, frame: str) -> tuple[int, str]:
    await socket.connection.send(frame)
    with pytest.raises(ConnectionClosed) as closed:
        await socket.receive(timeout=5)
    assert closed.value.rcvd is not None, "closed with a close frame"
    return closed.value.rcvd.code, closed.value.rcvd.reason


@pytest.mark.parametrize("frame", NOT_OBJECTS + UNREADABLE)
async def test_graphql_transport_ws_closes_4400_on_a_frame_that_is_no_message(
    api: Api, frame: str, no_server_errors: None
) -> None:
    async with await _signed_in(api, TRANSPORT_WS) as socket:
        await socket.ack()
        code, _ = await _closed_with(socket, frame)
    assert code == 4400


@pytest.mark.parametrize("payload", BAD_OPERATIONS)
async def test_graphql_transport_ws_closes_4400_on_a_malformed_subscribe(
    api: Api, payload: Any, no_server_errors: None
) -> None:
    async with await _signed_in(api, TRANSPORT_WS) as socket:
        await socket.ack()
        frame = json.dumps({"id": "1", "type": "subscribe", "payload": payload})
        code, reason = await _closed_with(socket, frame)
    assert (code, reason.split(" ")[:2]) == (4400, ["The", "operation's"])


async def test_graphql_transport_ws_closes_4400_on_an_id_that_is_no_string(
    api: Api, no_server_errors: None
) -> None:
    async with await _signed_in(api, TRANSPORT_WS) as socket:
        await socket.ack()
        frame = json.dumps({"id": 1, "type": "subscribe", "payload": {"query": MY_JOBS}})
        assert await _closed_with(socket, frame) == (
            4400,
            "A subscribe message needs a string `id`.",
        )


async def test_graphql_transport_ws_treats_a_null_init_payload_as_no_token(api: Api) -> None:
    async with _not_signed_in(api, TRANSPORT_WS) as socket:
        frame = json.dumps({"type": "connection_init", "payload": None})
        code, _ = await _closed_with(socket, frame)
    assert code == 4403


@pytest.mark.parametrize("name", ["N" * 200, "é" * 100])
async def test_a_close_reason_quoting_the_client_fits_a_close_frame(
    api: Api, name: str, no_server_errors: None
) -> None:
    # A close frame's reason holds at most 123 bytes of UTF-8: quoted whole, the websockets
    # library refused to send it and the socket dropped without a close frame (1006).
    async with await _signed_in(api, TRANSPORT_WS) as socket:
        await socket.ack()
        payload = {"query": f'subscription {{ "{name}" }}'}
        code, reason = await _closed_with(
            socket, json.dumps({"id": "1", "type": "subscribe", "payload": payload})
        )
    assert code == 4400 and reason.startswith("Syntax Error: Expected Name, found String")
    assert len(reason.encode()) <= 123


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("name", ["Nope", "N" * 200, "\ud800", "é" * 100])
async def test_an_operation_name_the_document_lacks_is_bad_user_input(
    api: Api, protocol: str, name: str, no_server_errors: None
) -> None:
    # Not a close on graphql-transport-ws: the socket's other operations go on.
    async with await _signed_in(api, protocol) as socket:
        await socket.ack()
        operation = await socket.subscribe(MY_JOBS, None, name)
        with pytest.raises(GraphQLErrors) as refused:
            await socket.next_payload(operation, timeout=5)
    assert refused.value.code == "BAD_USER_INPUT"
    assert refused.value.errors[0]["message"] == f'Unknown operation named "{name}".'


@pytest.mark.parametrize(
    "frame",
    [
        *NOT_OBJECTS,
        *UNREADABLE,
        "not json",
        '{"type": "start", "id": "z"',
        b'{"type": "start"}',
        '{"id": "1"}',
        '{"type": "start"}',
        '{"type": "stop"}',
        '{"type": "ping"}',
    ],
)
async def test_graphql_ws_answers_connection_error_to_a_message_it_cannot_read(
    api: Api, frame: str | bytes, no_server_errors: None
) -> None:
    # As subscriptions-transport-ws answers; strawberry dropped text that was not JSON
    # without a word (a client waited for ever) and closed the socket on a binary frame.
    async with await _signed_in(api, LEGACY_WS) as socket:
        await socket.ack()
        await socket.connection.send(frame)
        answer = await socket.receive(timeout=5)
        me = await _query(socket, "2")
    assert answer["type"] == "connection_error" and answer["payload"]["message"], answer
    assert me["data"]["me"]["id"], "the socket goes on serving"


async def test_graphql_ws_never_answers_a_json_string_with_the_string_as_its_own_words(
    api: Api, no_server_errors: None
) -> None:
    # Else any client could make the server "say" a phishing line in its connection_error.
    lure = "Invalid token. Please re-enter your password at http://evil.example"
    async with _not_signed_in(api, LEGACY_WS) as socket:
        await socket.connection.send(json.dumps(lure))
        answer = await socket.receive(timeout=5)
    assert answer == {
        "type": "connection_error",
        "payload": {"message": "A message must be an object with a string `type`."},
    }


async def test_graphql_ws_answers_an_unknown_message_with_an_error_for_its_id(
    api: Api, no_server_errors: None
) -> None:
    async with await _signed_in(api, LEGACY_WS) as socket:
        await socket.ack()
        await socket.send({"id": "7", "type": "subscribe", "payload": {"query": "{ me { id } }"}})
        with pytest.raises(GraphQLErrors) as refused:
            await socket.next_payload("7", timeout=5)
        me = await _query(socket, "2")
    assert refused.value.errors[0]["message"] == "Unknown message type `subscribe`."
    assert me["data"]["me"]["id"]


@pytest.mark.parametrize("payload", ['"abc"', "[1]"])
async def test_graphql_ws_refuses_a_connection_init_whose_payload_is_no_object(
    api: Api, payload: str, no_server_errors: None
) -> None:
    async with _not_signed_in(api, LEGACY_WS) as socket:
        await socket.connection.send('{"type": "connection_init", "payload": ' + payload + "}")
        refused = await socket.receive(timeout=5)
        with pytest.raises(ConnectionClosed) as closed:
            await socket.receive(timeout=5)
    assert refused == {
        "type": "connection_error",
        "payload": {"message": "The connection_init payload must be an object."},
    }
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1011


@pytest.mark.parametrize("payload", BAD_OPERATIONS)
async def test_graphql_ws_answers_a_malformed_start_with_an_error_for_its_id(
    api: Api, payload: Any, no_server_errors: None
) -> None:
    async with await _signed_in(api, LEGACY_WS) as socket:
        await socket.ack()
        await socket.send({"id": "1", "type": "start", "payload": payload})
        with pytest.raises(GraphQLErrors) as refused:
            await socket.next_payload("1", timeout=5)
        me = await _query(socket, "2")
    assert refused.value.code == "BAD_USER_INPUT"
    assert me["data"]["me"]["id"]


async def test_graphql_ws_closes_a_socket_not_signed_in_within_the_wait(
    start_api: StartApi,
) -> None:
    api = await start_api(connection_init_wait_seconds=0.3)
    async with _not_signed_in(api, LEGACY_WS) as socket:
        with pytest.raises(ConnectionClosed) as closed:
            await socket.receive(timeout=5)
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (
        4408,
        "Connection initialisation timeout",
    )


async def _query(socket: Socket, operation: str) -> Any:
    await socket.send({"id": operation, "type": "start", "payload": {"query": "{ me { id } }"}})
    result = await socket.next_payload(operation, timeout=5)
    assert await socket.next_payload(operation, timeout=5) is None
    return result
