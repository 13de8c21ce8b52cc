"""A small GraphQL client for tests: real HTTP and real websockets, both protocols."""

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from broker.fanout import Hub

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"
PROTOCOLS = (TRANSPORT_WS, LEGACY_WS)

Json = dict[str, Any]


class GraphQLErrors(AssertionError):
    def __init__(self, errors: list[Json]) -> None:
        super().__init__(json.dumps(errors))
        self.errors = errors

    @property
    def code(self) -> str:
        return str(self.errors[0].get("extensions", {}).get("code"))


def refusal(response: httpx.Response) -> tuple[int, str]:
    """The status and message of an HTTP request refused before any operation ran: a
    GraphQL response with one BAD_USER_INPUT error, about the request as a whole."""
    assert response.headers["content-type"] == "application/json", response.text
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": None}, error
    return response.status_code, str(error["message"])


class Api:
    """One server; ``execute`` returns the whole response, ``data`` raises on errors."""

    def __init__(self, base_url: str, app: Any = None) -> None:
        self.base_url = base_url
        #: the in-process ASGI app behind base_url, when there is one
        self.app = app
        self.http = httpx.AsyncClient(base_url=base_url, timeout=30)
        self.ws_url = base_url.replace("http://", "ws://") + "/graphql"

    async def close(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> "Api":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def hub(self) -> Hub:
        """The in-process server's hub of subscriptions."""
        hub: Hub = self.app.state.hub
        return hub

    async def user_with_job(self) -> tuple[str, Json]:
        """A new user's token and a PENDING job of theirs."""
        token = await self.register()
        return token, await self.create_job(token)

    async def execute(
        self, query: str, variables: Json | None = None, token: str | None = None
    ) -> Json:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        result: Json = response.json()
        return result

    async def data(
        self, query: str, variables: Json | None = None, token: str | None = None
    ) -> Json:
        result = await self.execute(query, variables, token)
        if result.get("errors"):
            raise GraphQLErrors(result["errors"])
        data: Json = result["data"]
        return data

    async def error(
        self, query: str, variables: Json | None = None, token: str | None = None
    ) -> Json:
        """The first error of a request that must fail."""
        result = await self.execute(query, variables, token)
        assert result.get("errors"), f"expected an error, got {result}"
        error: Json = result["errors"][0]
        return error

    async def register(self, email: str | None = None, password: str = "correct horse 1") -> str:
        email = email or f"user-{uuid.uuid4().hex[:10]}@example.com"
        data = await self.data(
            "mutation($e: String!, $p: String!) { register(email: $e, password: $p) { token } }",
            {"e": email, "p": password},
        )
        token: str = data["register"]["token"]
        return token

    async def create_job(
        self, token: str, idempotency_key: str | None = None, **fields: Any
    ) -> Json:
        payload = {**SAMPLE_INPUT, **fields}
        data = await self.data(
            "mutation($i: CoverLetterInput!, $k: String) {"
            " createCoverLetter(input: $i, idempotencyKey: $k) { id status seq attempts } }",
            {"i": payload, "k": idempotency_key},
            token,
        )
        job: Json = data["createCoverLetter"]
        return job

    async def job(self, token: str, job_id: str) -> Json | None:
        data = await self.data(
            "query($id: ID!) { job(id: $id) { id status coverLetter partialText progress"
            " error attempts seq createdAt completedAt } }",
            {"id": job_id},
            token,
        )
        job: Json | None = data["job"]
        return job

    async def wait_for_status(
        self, token: str, job_id: str, *statuses: str, timeout: float = 20
    ) -> Json:
        async def poll() -> Json:
            while True:
                job = await self.job(token, job_id)
                if job is not None and job["status"] in statuses:
                    return job
                await asyncio.sleep(0.05)

        return await asyncio.wait_for(poll(), timeout)

    @asynccontextmanager
    async def socket(
        self, token: str | None, protocol: str = TRANSPORT_WS
    ) -> AsyncIterator["Socket"]:
        async with websockets.connect(self.ws_url, subprotocols=[protocol]) as connection:  # type: ignore[list-item]
            socket = Socket(connection, protocol)
            await socket.init(token)
            yield socket

    async def job_events(
        self, token: str, job_id: str, protocol: str = TRANSPORT_WS, timeout: float = 30
    ) -> list[Json]:
        """Every event of a jobEvents subscription, until it completes."""
        async with self.socket(token, protocol) as socket:
            await socket.ack()
            return await asyncio.wait_for(socket.collect(JOB_EVENTS, {"id": job_id}), timeout)

    async def following(
        self, token: str, job_id: str, protocol: str = TRANSPORT_WS, timeout: float = 30
    ) -> "asyncio.Task[list[Json]]":
        """A jobEvents subscription whose SNAPSHOT has arrived: what happens from now on is
        seen live. The task gives every event, the SNAPSHOT first, once it completes."""
        snapshot: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        async def collect() -> list[Json]:
            async with self.socket(token, protocol) as socket:
                await socket.ack()
                operation = await socket.subscribe(JOB_EVENTS, {"id": job_id})
                events: list[Json] = []
                while (payload := await socket.next_payload(operation, timeout)) is not None:
                    events.append(payload["data"]["jobEvents"])
                    if not snapshot.done():
                        snapshot.set_result(None)
                return events

        task = asyncio.create_task(collect())
        either: list[asyncio.Future[Any]] = [snapshot, task]
        await asyncio.wait(either, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()  # an error, or a stream that ended at its snapshot
        assert snapshot.done(), "no SNAPSHOT in time"
        return task


JOB_EVENTS = (
    "subscription($id: ID!) { jobEvents(jobId: $id) {"
    " jobId seq type status attempt progress delta text error at } }"
)

SAMPLE_INPUT: Json = {
    "jobDescription": (
        "Senior Data Engineer at Acme Analytics. You will build batch and streaming pipelines "
        "in Python and SQL, orchestrate them with Airflow, and model data in PostgreSQL. "
        "Experience with Kafka, dbt and AWS is a plus."
    ),
    "cvText": (
        "Data engineer with 6 years of experience. Built Airflow pipelines in Python and SQL "
        "on PostgreSQL, streamed events through Kafka, and mentored two junior engineers."
    ),
    "tone": "PROFESSIONAL",
    "companyName": "Acme Analytics",
    "applicantName": "Jordan Lee",
}


class Socket:
    """One websocket speaking graphql-transport-ws or the legacy graphql-ws."""

    def __init__(self, connection: ClientConnection, protocol: str) -> None:
        self.connection = connection
        self.protocol = protocol
        self._ids = 0

    async def send(self, message: Json) -> None:
        await self.connection.send(json.dumps(message))

    async def receive(self, timeout: float = 30) -> Json:
        while True:
            message: Json = json.loads(await asyncio.wait_for(self.connection.recv(), timeout))
            if message["type"] not in ("ka", "ping", "pong"):
                return message
            if message["type"] == "ping":
                await self.send({"type": "pong"})

    async def sent_before_pong(self) -> list[Json]:
        """Ping, and return what the server sent before its pong: it answers a socket's
        messages in order, so all it did for the earlier ones is in there."""
        await self.send({"type": "ping"})
        messages: list[Json] = []
        while True:
            message = json.loads(await asyncio.wait_for(self.connection.recv(), 30))
            if message["type"] == "pong":
                return messages
            messages.append(message)

    async def init(self, token: str | None) -> None:
        payload = {"Authorization": f"Bearer {token}"} if token else {}
        await self.send({"type": "connection_init", "payload": payload})

    async def ack(self) -> None:
        message = await self.receive()
        assert message["type"] == "connection_ack", message

    async def subscribe(
        self, query: str, variables: Json | None = None, operation_name: str | None = None
    ) -> str:
        self._ids += 1
        operation_id = str(self._ids)
        kind = "subscribe" if self.protocol == TRANSPORT_WS else "start"
        payload: Json = {"query": query, "variables": variables or {}}
        if operation_name is not None:
            payload["operationName"] = operation_name
        await self.send({"id": operation_id, "type": kind, "payload": payload})
        return operation_id

    async def stop(self, operation_id: str) -> None:
        kind = "complete" if self.protocol == TRANSPORT_WS else "stop"
        await self.send({"id": operation_id, "type": kind})

    async def next_payload(self, operation_id: str, timeout: float = 30) -> Json | None:
        """The next result of one operation; None when it completed."""
        message = await self.receive(timeout)
        assert message.get("id") == operation_id, message
        if message["type"] == "complete":
            return None
        if message["type"] == "error":
            raise GraphQLErrors(
                message["payload"] if isinstance(message["payload"], list) else [message["payload"]]
            )
        assert message["type"] in ("next", "data"), message
        payload: Json = message["payload"]
        if payload.get("errors"):
            raise GraphQLErrors(payload["errors"])
        return payload

    async def collect(self, query: str, variables: Json | None = None) -> list[Json]:
        operation_id = await self.subscribe(query, variables)
        results: list[Json] = []
        while (payload := await self.next_payload(operation_id)) is not None:
            results.append(next(iter(payload["data"].values())))
        return results


def assemble(events: list[Json]) -> str:
    """The text a client following API.md's "Reading a stream" ends with."""
    text = ""
    for event in events:
        if event["text"] is not None:
            text = event["text"]
        elif event["type"] == "DELTA":
            text += event["delta"]
    return text


class Streams:
    """Many jobEvents subscriptions on one socket, each collected until it completes."""

    def __init__(self, socket: Socket) -> None:
        self.socket = socket
        self.events: dict[str, list[Json]] = {}
        self.errors: dict[str, Json] = {}
        self._jobs: dict[str, str] = {}
        self._done: dict[str, asyncio.Event] = {}
        self._reader = asyncio.create_task(self._read())

    async def follow(self, job_id: str) -> None:
        operation = await self.socket.subscribe(JOB_EVENTS, {"id": job_id})
        self._jobs[operation] = job_id
        self.events[job_id] = []
        self._done[job_id] = asyncio.Event()

    async def _read(self) -> None:
        while True:
            message = await self.socket.receive(timeout=3600)
            job_id = self._jobs[message["id"]]
            if message["type"] == "next":
                self.events[job_id].append(message["payload"]["data"]["jobEvents"])
            else:
                if message["type"] == "error":
                    self.errors[job_id] = message
                self._done[job_id].set()

    async def wait_all(self, timeout: float) -> list[str]:
        """Wait until every subscription completed; returns the jobs still open at ``timeout``."""
        waits = (done.wait() for done in self._done.values())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*waits), timeout)
        return [job_id for job_id, done in self._done.items() if not done.is_set()]

    async def close(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


async def closed_with(socket: Socket, timeout: float = 10) -> tuple[int, str]:
    """Read until the server closes; fails on any message it sends first."""
    with pytest.raises(ConnectionClosed) as closed:
        message = await socket.receive(timeout=timeout)
        pytest.fail(f"expected the socket to close, got {message}")
    assert closed.value.rcvd is not None, "closed without a close frame"
    return closed.value.rcvd.code, closed.value.rcvd.reason
