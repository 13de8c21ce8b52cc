"""A subscriber that stops reading costs bounded memory and, reading again, gets every word."""

import asyncio
import json
import random
import socket
import string
from collections.abc import AsyncIterator

import websockets

from broker.fanout import Hub
from tests.client import JOB_EVENTS, TRANSPORT_WS, assemble
from tests.conftest import StartApi, StartWorker
from worker.writers.base import LetterRequest

CHUNKS = 150
# Random letters: websockets compress frames (permessage-deflate), and "xxxx…" would vanish.
_random = random.Random(7)
TEXT = [
    "".join(_random.choice(string.ascii_letters) for _ in range(1999)) + "\n" for _ in range(CHUNKS)
]


def small_window_socket(url: str) -> socket.socket:
    """A client socket with a tiny receive buffer, so an idle reader pushes back quickly."""
    host, port = url.removeprefix("ws://").split("/", 1)[0].split(":")
    client = socket.socket()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    client.connect((host, int(port)))
    return client


class FloodWriter:
    """600 KB of text as fast as it can: far more than the reader lets through."""

    async def write(self, request: LetterRequest) -> AsyncIterator[str]:
        for chunk in TEXT:
            yield chunk
            await asyncio.sleep(0)

    async def close(self) -> None:
        pass


async def test_a_stalled_subscriber_is_bounded_and_catches_up_with_a_snapshot(
    start_api: StartApi, start_worker: StartWorker
) -> None:
    api = await start_api(subscriber_queue_size=64, send_buffer=8192)
    hub: Hub = api.app.state.hub
    token = await api.register()
    job = await api.create_job(token)
    async with websockets.connect(
        api.ws_url,
        subprotocols=[TRANSPORT_WS],  # type: ignore[list-item]
        max_queue=1,
        sock=small_window_socket(api.ws_url),
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"authToken": token}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": JOB_EVENTS, "variables": {"id": job["id"]}},
                }
            )
        )
        assert json.loads(await ws.recv())["payload"]["data"]["jobEvents"]["type"] == "SNAPSHOT"

        await start_worker(FloodWriter(), flush_chars=2000)
        (subscription,) = hub.subscriptions_of_job(job["id"])
        peak = 0
        while (await api.job(token, job["id"]) or {}).get("status") != "COMPLETED":
            peak = max(peak, subscription.backlog)
            await asyncio.sleep(0.02)
        assert subscription.overflows >= 1, "the reader fell behind and its backlog was dropped"
        assert peak <= 64
        # Events went the short way (``schema.express``) until the socket pushed back; the
        # frame the server could not take at once was finished before any later one.
        assert subscription.expressed >= 1

        events = []
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), 30))
            if message["type"] == "complete":
                break
            events.append(message["payload"]["data"]["jobEvents"])

    final = await api.job(token, job["id"])
    assert final is not None
    assert any(event["type"] == "SNAPSHOT" for event in events), "caught up with a fresh snapshot"
    assert assemble(events) == final["coverLetter"] == "".join(TEXT)
