"""A real HTTP server that speaks OpenAI chat completions, SSE streaming included.

Plain asyncio, so the test sees exactly what happens on the socket: each
request takes the next scripted behaviour (or the default), and is recorded
with its body and with when, if ever, the client hung up before the end.
"""

import asyncio
import contextlib
import json
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from types import TracebackType
from typing import Any, Literal

MODEL = "fake-model-1"


@dataclass(frozen=True)
class Answer:
    """Stream ``chunks`` as deltas, then the finish reason, usage and ``[DONE]``."""

    #: each a delta's ``content``; not text at all from a broken server
    chunks: Sequence[str | int | list[str]]
    finish_reason: str | None = "stop"
    #: (prompt, completion) tokens, sent when the request asks for usage
    usage: tuple[int, int] = (321, 123)
    #: seconds between chunks
    interval: float = 0.0
    #: with no finish reason: "abort" resets the connection mid-body, "end" ends the body
    cut: Literal["abort", "end"] = "abort"
    #: reset the connection right after the finish reason (before the usage and [DONE])
    reset_after_finish: bool = False
    #: after the chunks, keep the stream open with no more text, sending this every
    #: ``interval`` (or 0.1 s) until the client hangs up: SSE comments or empty deltas
    stall: Literal["keep-alive", "empty deltas"] | None = None


@dataclass(frozen=True)
class Failure:
    """Answer ``status`` with an OpenAI-style JSON error body."""

    status: int
    message: str = "Something went wrong."
    code: str | None = None
    type: str = "server_error"
    retry_after: str | None = None


@dataclass(frozen=True)
class Silence:
    """Read the request and never answer."""


@dataclass(frozen=True)
class Page:
    """Answer 200 with a page that is no event stream (a proxy's, a web server's)."""

    body: str = "<html><body>Bad gateway</body></html>"
    content_type: str = "text/html; charset=utf-8"


Behaviour = Answer | Failure | Silence | Page


@dataclass
class Exchange:
    """One request as the server saw it."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    received_at: float = field(default_factory=time.monotonic)
    #: when the server was done with the response (sent it all, or cut it)
    finished_at: float | None = None
    #: when the client closed the connection before the response was complete
    hung_up_at: float | None = None
    hung_up: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def messages(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = self.body["messages"]
        return messages


class FakeOpenAI:
    """``async with FakeOpenAI() as server:``; point the client at ``server.url``."""

    def __init__(self, default: Behaviour | None = None) -> None:
        self.default = default or Answer(["Hello"])
        self.script: deque[Behaviour] = deque()
        self.exchanges: list[Exchange] = []
        self._arrived = asyncio.Condition()
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self.url = ""

    def then(self, *behaviours: Behaviour) -> "FakeOpenAI":
        """Answer the next requests like this, in order; then fall back to the default."""
        self.script.extend(behaviours)
        return self

    async def __aenter__(self) -> "FakeOpenAI":
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/v1"
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        await self._server.wait_closed()

    async def wait_for_exchanges(self, count: int, timeout: float = 10) -> list[Exchange]:
        async with self._arrived:
            await asyncio.wait_for(
                self._arrived.wait_for(lambda: len(self.exchanges) >= count), timeout
            )
        return self.exchanges[:count]

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.create_task(self._connection(reader, writer))
        self._connections.add(task)
        task.add_done_callback(self._connections.discard)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        watcher: asyncio.Task[None] | None = None
        try:
            exchange = await _read_request(reader)
            if exchange is None:
                return
            async with self._arrived:
                self.exchanges.append(exchange)
                self._arrived.notify_all()
            watcher = asyncio.create_task(_watch_hang_up(reader, exchange))
            behaviour = self.script.popleft() if self.script else self.default
            await _respond(behaviour, exchange, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            if watcher is not None:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


async def _read_request(reader: asyncio.StreamReader) -> Exchange | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    request_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return Exchange(
        path=request_line.split(" ")[1], headers=headers, body=json.loads(body or b"{}")
    )


async def _watch_hang_up(reader: asyncio.StreamReader, exchange: Exchange) -> None:
    with contextlib.suppress(ConnectionError):
        while await reader.read(4096):
            pass
    if exchange.finished_at is None:
        exchange.hung_up_at = time.monotonic()
        exchange.hung_up.set()


async def _respond(behaviour: Behaviour, exchange: Exchange, writer: asyncio.StreamWriter) -> None:
    if isinstance(behaviour, Silence):
        await exchange.hung_up.wait()
    elif isinstance(behaviour, Failure):
        await _fail(behaviour, exchange, writer)
    elif isinstance(behaviour, Page):
        await _page(behaviour, exchange, writer)
    else:
        await _stream(behaviour, exchange, writer)


async def _fail(failure: Failure, exchange: Exchange, writer: asyncio.StreamWriter) -> None:
    error = {"message": failure.message, "type": failure.type, "param": None, "code": failure.code}
    body = json.dumps({"error": error}).encode()
    headers = {"content-type": "application/json", "content-length": str(len(body))}
    if failure.retry_after is not None:
        headers["retry-after"] = failure.retry_after
    writer.write(_head(failure.status, headers) + body)
    await writer.drain()
    exchange.finished_at = time.monotonic()


async def _page(page: Page, exchange: Exchange, writer: asyncio.StreamWriter) -> None:
    body = page.body.encode()
    headers = {"content-type": page.content_type, "content-length": str(len(body))}
    writer.write(_head(200, headers) + body)
    await writer.drain()
    exchange.finished_at = time.monotonic()


async def _stream(answer: Answer, exchange: Exchange, writer: asyncio.StreamWriter) -> None:
    headers = {"content-type": "text/event-stream", "transfer-encoding": "chunked"}
    writer.write(_head(200, headers))
    await _event(writer, _chunk({"role": "assistant", "content": ""}))
    for text in answer.chunks:
        if exchange.hung_up.is_set():
            return
        await asyncio.sleep(answer.interval)
        await _event(writer, _chunk({"content": text}))
    if answer.stall is not None:
        await _stall(answer, exchange, writer)
        return
    if answer.finish_reason is None:
        if answer.cut == "abort":
            exchange.finished_at = time.monotonic()
            writer.transport.abort()
            return
    else:
        await _event(writer, _chunk({}, finish_reason=answer.finish_reason))
        if answer.reset_after_finish:
            exchange.finished_at = time.monotonic()
            writer.transport.abort()
            return
        if exchange.body.get("stream_options", {}).get("include_usage"):
            await _event(writer, _usage(*answer.usage))
        await _event(writer, "[DONE]")
    writer.write(b"0\r\n\r\n")
    await writer.drain()
    exchange.finished_at = time.monotonic()


async def _stall(answer: Answer, exchange: Exchange, writer: asyncio.StreamWriter) -> None:
    while not exchange.hung_up.is_set():
        await asyncio.sleep(answer.interval or 0.1)
        if answer.stall == "keep-alive":
            writer.write(_chunked(b": keep-alive\n\n"))
            await writer.drain()
        else:
            await _event(writer, _chunk({"content": ""}))


def _head(status: int, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}", "connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def _event(writer: asyncio.StreamWriter, data: str) -> None:
    writer.write(_chunked(f"data: {data}\n\n".encode()))
    await writer.drain()


def _chunked(payload: bytes) -> bytes:
    return f"{len(payload):x}\r\n".encode() + payload + b"\r\n"


def _envelope(choices: list[dict[str, Any]], **extra: Any) -> str:
    return json.dumps(
        {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": 1_700_000_000,
            "model": MODEL,
            "choices": choices,
            **extra,
        }
    )


def _chunk(delta: dict[str, Any], finish_reason: str | None = None) -> str:
    return _envelope([{"index": 0, "delta": delta, "finish_reason": finish_reason}])


def _usage(prompt: int, completion: int) -> str:
    usage = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }
    return _envelope([], usage=usage)
