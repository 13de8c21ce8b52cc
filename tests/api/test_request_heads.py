"""A request's head (request line and headers) is bounded, as its body is: the served
process answers 431, rather than reading megabytes of headers into memory."""

import asyncio

import pytest

from api.headlimit import MAX_HEAD_BYTES
from core.settings import Settings
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
