"""A keep-alive HTTP/1.1 client over asyncio streams: one request at a time per connection."""

import asyncio


class HttpConnection:
    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._reader is None or self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        return self._reader, self._writer

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: bytes = b""
    ) -> tuple[int, bytes]:
        """``headers`` are ready-made ``Name: value\\r\\n`` lines."""
        reused = self._writer is not None
        try:
            return await self._request(method, path, body, headers)
        except (asyncio.IncompleteReadError, ConnectionError) as e:
            # The server closed an idle keep-alive connection before reading the request.
            if not reused or (isinstance(e, asyncio.IncompleteReadError) and e.partial):
                raise
            self.close()
            return await self._request(method, path, body, headers)

    async def _request(
        self, method: str, path: str, body: bytes, headers: bytes
    ) -> tuple[int, bytes]:
        reader, writer = await self._open()
        writer.write(
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n"
            f"Content-Length: {len(body)}\r\n".encode()
            + headers
            + b"\r\n"
            + body
        )
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
                break
        return status, await reader.readexactly(length)

    async def post_json(self, path: str, body: bytes, headers: bytes = b"") -> tuple[int, bytes]:
        return await self.request(
            "POST", path, body, b"Content-Type: application/json\r\n" + headers
        )

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


class HttpPool:
    """Connections handed out one request at a time; grows as concurrency needs."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._idle: list[HttpConnection] = []

    async def post_json(self, path: str, body: bytes, headers: bytes = b"") -> tuple[int, bytes]:
        connection = self._idle.pop() if self._idle else HttpConnection(self.host, self.port)
        try:
            result = await connection.post_json(path, body, headers)
        except BaseException:
            connection.close()
            raise
        self._idle.append(connection)
        return result

    def close(self) -> None:
        for connection in self._idle:
            connection.close()
        self._idle.clear()
