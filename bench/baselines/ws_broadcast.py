"""The bare websocket baseline: Starlette + uvicorn, events from the same fanout exchange.

It speaks just enough graphql-transport-ws for the bench client (init, ack, subscribe,
one snapshot, next), indexes sockets by job id, and serialises each event once.
``python -m bench.baselines.ws_broadcast --port P`` with BENCH_AMQP_URL and BENCH_PREFIX.
"""

import argparse
import contextlib
import json
import os
from collections import defaultdict
from collections.abc import AsyncIterator

import aio_pika
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

FIELDS = ("seq", "type", "status", "attempt", "progress", "delta", "text", "error", "at")
by_job: defaultdict[str, dict[WebSocket, str]] = defaultdict(dict)


def _next(op_id: str, payload: str) -> str:
    return '{"id":"' + op_id + '","type":"next","payload":' + payload + "}"


async def endpoint(websocket: WebSocket) -> None:
    await websocket.accept(subprotocol="graphql-transport-ws")
    mine: list[str] = []
    try:
        while True:
            message = json.loads(await websocket.receive_text())
            if message["type"] == "connection_init":
                await websocket.send_text('{"type":"connection_ack"}')
            elif message["type"] == "subscribe":
                job_id = message["payload"]["variables"]["id"]
                by_job[job_id][websocket] = message["id"]
                mine.append(job_id)
                snapshot = {"data": {"jobEvents": {"seq": 0, "type": "SNAPSHOT"}}}
                await websocket.send_text(_next(message["id"], json.dumps(snapshot)))
    except WebSocketDisconnect:
        pass
    finally:
        for job_id in mine:
            by_job.get(job_id, {}).pop(websocket, None)


async def broadcast(message: aio_pika.abc.AbstractIncomingMessage) -> None:
    event = json.loads(message.body)
    payload = json.dumps({"data": {"jobEvents": {name: event[name] for name in FIELDS}}})
    for websocket, op_id in list(by_job.get(event["job_id"], {}).items()):
        with contextlib.suppress(Exception):
            await websocket.send_text(_next(op_id, payload))


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    connection = await aio_pika.connect(os.environ["BENCH_AMQP_URL"])
    channel = await connection.channel()
    exchange = await channel.declare_exchange(
        f"{os.environ['BENCH_PREFIX']}job.events", aio_pika.ExchangeType.FANOUT, durable=True
    )
    queue = await channel.declare_queue(exclusive=True, auto_delete=True)
    await queue.bind(exchange)
    await queue.consume(broadcast, no_ack=True)
    yield
    await connection.close()


async def healthz(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


app = Starlette(
    routes=[Route("/healthz", healthz), WebSocketRoute("/graphql", endpoint)], lifespan=lifespan
)

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", ws="websockets-sansio")
