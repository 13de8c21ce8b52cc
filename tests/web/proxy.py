"""A TCP proxy between the page and the API that can stall the network: every byte is held,
both ways, and nothing is closed, as when packets stop moving (a dead Wi-Fi, a NAT that
forgot the connection). The browser notices nothing until its own timeouts, minutes later."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from urllib.parse import urlsplit


class StallingProxy:
    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        assert parts.hostname and parts.port, upstream
        self.host, self.port = parts.hostname, parts.port
        self.base_url = ""
        #: one gate for websocket connections, one for plain HTTP; a stall closes it
        self.gates = {"websocket": asyncio.Event(), "http": asyncio.Event()}
        self.resume()
        self._writers: set[asyncio.StreamWriter] = set()

    def stall(self, *, websockets: bool = True, http: bool = False) -> None:
        if websockets:
            self.gates["websocket"].clear()
        if http:
            self.gates["http"].clear()

    def resume(self) -> None:
        """Let the held bytes go on, in order, as a network that comes back does."""
        for gate in self.gates.values():
            gate.set()

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        first = await reader.read(65536)
        gate = self.gates["websocket" if b"upgrade: websocket" in first.lower() else "http"]
        await gate.wait()
        up_reader, up_writer = await asyncio.open_connection(self.host, self.port)
        self._writers.add(up_writer)
        up_writer.write(first)
        await asyncio.gather(
            _pipe(reader, up_writer, gate), _pipe(up_reader, writer, gate), return_exceptions=True
        )

    def close_all(self) -> None:
        self.resume()
        for writer in self._writers:
            writer.close()


async def _pipe(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, gate: asyncio.Event
) -> None:
    try:
        while data := await reader.read(65536):
            await gate.wait()  # a stall holds this chunk, and TCP holds the rest
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()


@contextlib.asynccontextmanager
async def stalling_proxy(upstream: str) -> AsyncIterator[StallingProxy]:
    proxy = StallingProxy(upstream)
    tasks: set[asyncio.Task[None]] = set()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        try:
            await proxy.serve(reader, writer)
        except (ConnectionError, OSError):
            pass  # either side going away is the end of that connection
        finally:
            tasks.discard(task)
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    proxy.base_url = f"http://127.0.0.1:{port}"
    async with server:
        yield proxy
        server.close()
        proxy.close_all()
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
