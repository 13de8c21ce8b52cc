"""A websocket client as a bare asyncio protocol, speaking graphql-transport-ws on top.

It parses frames itself and hands each text message to a callback: thousands of
sockets per process, and about a microsecond of framing per message.
"""

import asyncio
import base64
import json
import os
import struct
from collections.abc import Callable
from typing import Any

Json = dict[str, Any]


def _frame(opcode: int, payload: bytes) -> bytes:
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
    elif length < 1 << 16:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
    mask = os.urandom(4)
    if not length:
        return header + mask
    key = int.from_bytes((mask * (length // 4 + 1))[:length], "big")
    masked = (int.from_bytes(payload, "big") ^ key).to_bytes(length, "big")
    return header + mask + masked


class WebSocket(asyncio.Protocol):
    def __init__(self, host: str, port: int, path: str, subprotocol: str) -> None:
        self._request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
            f"Sec-WebSocket-Protocol: {subprotocol}\r\n\r\n"
        ).encode()
        self._buffer = bytearray()
        self._upgraded = False
        self._fragments = bytearray()
        self.transport: asyncio.Transport | None = None
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.on_message: Callable[[bytes], None] = lambda message: None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no subclass
        transport.write(self._request)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(ConnectionError("websocket closed before the upgrade"))
        if not self.closed.done():
            self.closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if not self._upgraded:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self._buffer[:end])
            del self._buffer[: end + 4]
            if not head.startswith(b"HTTP/1.1 101"):
                self.opened.set_exception(ConnectionError(head.split(b"\r\n")[0].decode()))
                return
            self._upgraded = True
            self.opened.set_result(None)
        self._parse()

    def _parse(self) -> None:
        buffer = self._buffer
        while len(buffer) >= 2:
            first, second = buffer[0], buffer[1]
            length, offset = second & 0x7F, 2
            if length == 126:
                if len(buffer) < 4:
                    return
                length, offset = struct.unpack_from("!H", buffer, 2)[0], 4
            elif length == 127:
                if len(buffer) < 10:
                    return
                length, offset = struct.unpack_from("!Q", buffer, 2)[0], 10
            if len(buffer) < offset + length:
                return
            payload = bytes(buffer[offset : offset + length])
            del buffer[: offset + length]
            self._frame(first, payload)

    def _frame(self, first: int, payload: bytes) -> None:
        opcode = first & 0x0F
        if opcode in (0x0, 0x1, 0x2):
            self._fragments += payload
            if first & 0x80:
                message, self._fragments = bytes(self._fragments), bytearray()
                self.on_message(message)
        elif opcode == 0x9 and self.transport is not None:
            self.transport.write(_frame(0xA, payload))
        elif opcode == 0x8 and self.transport is not None:
            self.transport.close()

    def send_text(self, text: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(_frame(0x1, text))

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


async def open_socket(host: str, port: int, subprotocol: str = "graphql-transport-ws") -> WebSocket:
    loop = asyncio.get_running_loop()
    _, protocol = await loop.create_connection(
        lambda: WebSocket(host, port, "/graphql", subprotocol), host, port
    )
    await protocol.opened
    return protocol


class GraphQLSocket:
    """graphql-transport-ws over one ``WebSocket``; ``on_next(op_id, payload, raw)`` per result."""

    def __init__(self, socket: WebSocket) -> None:
        self.socket = socket
        self.acked: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.on_next: Callable[[str, Json], None] = lambda op, payload: None
        self.on_done: Callable[[str, Json], None] = lambda op, message: None
        socket.on_message = self._receive

    def _receive(self, raw: bytes) -> None:
        message = json.loads(raw)
        kind = message.get("type")
        if kind == "next":
            self.on_next(message["id"], message["payload"])
        elif kind in ("complete", "error"):
            self.on_done(message["id"], message)
        elif kind == "ping":
            self.socket.send_text(b'{"type":"pong"}')
        elif kind == "connection_ack" and not self.acked.done():
            self.acked.set_result(None)

    async def init(self, token: str) -> None:
        self.socket.send_text(
            json.dumps(
                {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
            ).encode()
        )
        await asyncio.wait({self.acked, self.socket.closed}, return_when=asyncio.FIRST_COMPLETED)
        if not self.acked.done():
            raise ConnectionError("connection_init refused")

    def subscribe(self, op_id: str, query: str, variables: Json) -> None:
        self.socket.send_text(
            json.dumps(
                {
                    "id": op_id,
                    "type": "subscribe",
                    "payload": {"query": query, "variables": variables},
                }
            ).encode()
        )


async def connect_graphql(host: str, port: int, token: str) -> GraphQLSocket:
    socket = GraphQLSocket(await open_socket(host, port))
    await socket.init(token)
    return socket
