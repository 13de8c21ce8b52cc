"""A request's head (request line and headers) is bounded, as its body is: the served
process answers 431, rather than reading megabytes of headers into memory."""

import asyncio

import pytest

from api.headlimit import MAX_HEAD_BYTES
from core.settings import Settings
from tests.processes import api_process, environment


async def _answer(url: str, padding: int) -> bytes:
    """What the server answers a GET whose ``X-Padding`` header holds ``padding`` bytes,
    written in pieces, as a client sending a huge header would."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: api\r\nX-Padding: ")
        for _ in range(padding // 16_384):
            writer.write(b"a" * 16_384)
            await writer.drain()
        writer.write(b"\r\nConnection: close\r\n\r\n")
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
        large_but_allowed = await _answer(api.url, MAX_HEAD_BYTES // 2)

    assert huge.startswith(b"HTTP/1.1 431 "), huge[:200]
    assert just_over.startswith(b"HTTP/1.1 431 "), just_over[:200]
    assert large_but_allowed.startswith(b"HTTP/1.1 200 "), large_but_allowed[:200]
