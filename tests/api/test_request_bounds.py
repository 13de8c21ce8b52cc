"""A request is bounded in size and in time, as its body is in size: the served process
answers 431 to a head too large and 408 to a request that does not come in time, rather
than reading megabytes of headers into memory or holding idle half-sent requests open."""

import asyncio
import json
import time

import pytest
import websockets

from api.request_bounds import MAX_HEAD_BYTES
from core.settings import Settings
from tests.client import TRANSPORT_WS, Api
from tests.processes import api_process, environment


async def _answer(url: str, padding: int, *, pieces: int = 16_384) -> bytes:
    """What the server answers a GET whose ``X-Padding`` header holds ``padding`` bytes,
    written ``pieces`` bytes at a time (a client streaming a huge header), or at once."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        head = b"GET /healthz HTTP/1.1\r\nHost: api\r\nX-Padding: " + b"a" * padding
        head += b"\r\nConnection: close\r\n\r\n"
        for start in range(0, len(head), pieces):
            writer.write(head[start : start + pieces])
            await writer.drain()
        return await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()


@pytest.mark.parametrize("stack", ["embedded"], indirect=True)
async def test_a_head_past_the_limit_is_answered_431_and_the_server_goes_on(
    settings: Settings, db: object
) -> None:
    async with api_process(environment(settings)) as api:
        huge = await _answer(api.url, 4 * 1024 * 1024)
        just_over = await _answer(api.url, MAX_HEAD_BYTES)
        over_in_one_piece = await _answer(api.url, MAX_HEAD_BYTES, pieces=1 << 20)
        large_but_allowed = await _answer(api.url, MAX_HEAD_BYTES // 2)

    for refused in (huge, just_over, over_in_one_piece):
        assert refused.startswith(b"HTTP/1.1 431 "), refused[:200]
    assert large_but_allowed.startswith(b"HTTP/1.1 200 "), large_but_allowed[:200]


#: the read bound the timing tests run with: short, and far from the pauses of the client
READ_SECONDS = 1.0


async def _sent_slowly(url: str, pieces: list[bytes], pause: float) -> tuple[bytes, float]:
    """What the server answers a client that writes ``pieces`` with ``pause`` seconds
    before each, and how many seconds after connecting the answer was over."""
    host, port = url.removeprefix("http://").split(":")
    started = time.monotonic()
    reader, writer = await asyncio.open_connection(host, int(port))
    answered_after: list[float] = []
    reading = asyncio.create_task(reader.read())  # up to the server's end of the stream
    reading.add_done_callback(lambda _: answered_after.append(time.monotonic() - started))
    try:
        for piece in pieces:
            await asyncio.sleep(pause)
            if reading.done():
                break
            writer.write(piece)
            await writer.drain()
        return await asyncio.wait_for(reading, 10), answered_after[0]
    finally:
        writer.close()


def _post(body: bytes, *, declared: int | None = None) -> bytes:
    return (
        b"POST /graphql HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\n"
        b"Connection: close\r\nContent-Length: "
        + str(len(body) if declared is None else declared).encode()
        + b"\r\n\r\n"
    )


@pytest.mark.parametrize("stack", ["embedded"], indirect=True)
async def test_requests_that_do_not_come_in_time_get_408_and_their_connection_closes(
    settings: Settings, db: object
) -> None:
    env = environment(settings, CAREEROPS_REQUEST_READ_SECONDS=str(READ_SECONDS))
    query = json.dumps({"query": "{ __typename }"}).encode()
    async with api_process(env) as api:
        silent, trickled_head, stalled_body, steady_body = await asyncio.gather(
            _sent_slowly(api.url, [], 0),
            # a byte every 0.2 s: never idle, but the head as a whole takes too long
            _sent_slowly(api.url, [bytes([b]) for b in b"GET /healthz HTTP/1.1\r\nHost: a"], 0.2),
            _sent_slowly(api.url, [_post(query, declared=len(query) + 10), query], 0.1),
            # the body's pieces come 0.4 s apart, 2.4 s in all: slow, but never stalled
            _sent_slowly(
                api.url,
                [_post(query), *(query[i : i + 3] for i in range(0, len(query), 3))],
                0.4,
            ),
        )
        # the server is not held up by any of it
        async with Api(api.url) as client:
            assert (await client.http.get("/healthz")).status_code == 200

    for answer, seconds in (silent, trickled_head, stalled_body):
        assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
        assert READ_SECONDS <= seconds < READ_SECONDS + 3, seconds
    answer, seconds = steady_body
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:200]
    assert seconds > 2 * READ_SECONDS
    assert answer.endswith(b'{"data":{"__typename":"Query"}}'), answer[-200:]


@pytest.mark.parametrize("stack", ["embedded"], indirect=True)
async def test_an_upgraded_websocket_outlives_the_request_read_bound(
    settings: Settings, db: object
) -> None:
    env = environment(settings, CAREEROPS_REQUEST_READ_SECONDS=str(READ_SECONDS))
    async with api_process(env) as api, Api(api.url) as client:
        token = await client.register()
        async with websockets.connect(client.ws_url, subprotocols=[TRANSPORT_WS]) as connection:  # type: ignore[list-item]
            await asyncio.sleep(READ_SECONDS * 2)
            await connection.send(
                json.dumps(
                    {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
                )
            )
            ack = json.loads(await asyncio.wait_for(connection.recv(), 10))

    assert ack["type"] == "connection_ack"
