"""Coalesced flushes: one UPDATE + one DELTA per ~100 ms or per N characters; the text a
writer ends with goes with the completion."""

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from db.connection import Db
from tests.client import JOB_EVENTS, assemble
from tests.conftest import StartApi, StartWorker
from tests.resolvers.test_cancel_and_retry_job import CANCEL
from worker.writers.base import LetterRequest


class CharByCharWriter:
    """2,000 one-character chunks with no pause: a naive worker would flush 2,000 times."""

    async def write(self, request: LetterRequest) -> AsyncIterator[str]:
        for n in range(2000):
            yield "abcdefghij"[n % 10]
            if n % 50 == 0:
                await asyncio.sleep(0)

    async def close(self) -> None:
        pass


class PausingWriter:
    """A few words, then a long silence, then the rest."""

    def __init__(self, first: str = "Dear team,", rest: str = " thank you.") -> None:
        self.first, self.rest = first, rest
        self.resumed_at = 0.0

    async def write(self, request: LetterRequest) -> AsyncIterator[str]:
        yield self.first
        await asyncio.sleep(1.0)
        self.resumed_at = time.monotonic()
        yield self.rest

    async def close(self) -> None:
        pass


async def test_many_tiny_chunks_are_coalesced_by_size(
    start_api: StartApi, start_worker: StartWorker
) -> None:
    api = await start_api()
    token = await api.register()
    job = await api.create_job(token)
    subscription = await api.following(token, job["id"])
    await start_worker(CharByCharWriter(), flush_chars=200, flush_interval_ms=10_000)

    events = await subscription

    deltas = [event for event in events if event["type"] == "DELTA"]
    assert len(deltas) == 10
    assert all(len(event["delta"]) == 200 for event in deltas)
    assert len(assemble(events)) == 2000


async def test_text_waiting_through_a_pause_is_flushed_within_the_interval(
    start_api: StartApi, start_worker: StartWorker
) -> None:
    api = await start_api()
    token = await api.register()
    job = await api.create_job(token)
    writer = PausingWriter()
    async with api.socket(token) as socket:
        await socket.ack()
        operation = await socket.subscribe(JOB_EVENTS, {"id": job["id"]})
        # Its SNAPSHOT first: read after the first flush, it would hold the first words.
        snapshot = await socket.next_payload(operation)
        assert snapshot is not None and snapshot["data"]["jobEvents"]["type"] == "SNAPSHOT"
        await start_worker(writer, flush_interval_ms=100, flush_chars=10_000)
        first_delta = None
        while first_delta is None:
            payload = await socket.next_payload(operation)
            assert payload is not None
            event = payload["data"]["jobEvents"]
            if event["type"] == "DELTA":
                first_delta = event
                received_at = time.monotonic()

    assert first_delta["delta"] == "Dear team,"
    assert writer.resumed_at == 0.0 or received_at < writer.resumed_at, (
        "the first words reached the client during the writer's pause"
    )


class StallingWriter:
    """One word, then a silence longer than any test waits."""

    def __init__(self) -> None:
        self.closed = asyncio.Event()

    async def write(self, request: LetterRequest) -> AsyncIterator[str]:
        try:
            yield "Dear"
            await asyncio.sleep(60)
            yield " team,"
        finally:
            self.closed.set()

    async def close(self) -> None:
        pass


async def test_a_job_cancelled_during_a_pause_stops_when_the_waiting_text_is_flushed(
    start_api: StartApi, start_worker: StartWorker
) -> None:
    api = await start_api()
    token = await api.register()
    job = await api.create_job(token)
    writer = StallingWriter()
    # The lease is checked far too rarely to be what stops it.
    await start_worker(writer, flush_interval_ms=1500, flush_chars=10_000, lease_seconds=600)
    await api.wait_for_status(token, job["id"], "PROCESSING")

    cancelled = (await api.data(CANCEL, {"id": job["id"]}, token))["cancelJob"]
    await asyncio.wait_for(writer.closed.wait(), 10)

    assert cancelled["status"] == "CANCELLED"
    final = await api.job(token, job["id"])
    assert final is not None and final["status"] == "CANCELLED"
    assert final["partialText"] == "", "the flush found the job cancelled and wrote nothing"


class OnePieceWriter:
    """The whole letter in one chunk, as a model that does not stream gives it."""

    LETTER = "Dear team, " + "I would like to join you. " * 40

    async def write(self, request: LetterRequest) -> AsyncIterator[str]:
        yield self.LETTER

    async def close(self) -> None:
        pass


async def test_a_letter_written_in_one_piece_is_stored_by_its_completion_alone(
    start_api: StartApi, start_worker: StartWorker, db: Db, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = await start_api()
    token = await api.register()
    job = await api.create_job(token)
    subscription = await api.following(token, job["id"])
    texts_written: list[str] = []
    run = db._run

    async def counting(method: str, fallback: str, sql: str, values: Any) -> Any:
        if "partial_text" in sql and sql.startswith("UPDATE"):
            texts_written.append(sql)
        return await run(method, fallback, sql, values)

    monkeypatch.setattr(db, "_run", counting)
    await start_worker(OnePieceWriter(), flush_chars=200, flush_interval_ms=10_000)

    events = await subscription
    assert [event["type"] for event in events] == ["SNAPSHOT", "STATUS", "DELTA", "STATUS"]
    processing, delta, completed = events[1:]
    assert processing["status"] == "PROCESSING"
    assert delta["delta"] == OnePieceWriter.LETTER and delta["status"] == "PROCESSING"
    assert completed["status"] == "COMPLETED" and completed["text"] == OnePieceWriter.LETTER
    assert [delta["seq"], completed["seq"]] == [processing["seq"] + 1, processing["seq"] + 2]
    assert len(texts_written) == 2, "the claim, then the completion with the text: no flush"
    final = await api.job(token, job["id"])
    assert final is not None
    assert final["coverLetter"] == final["partialText"] == OnePieceWriter.LETTER
    assert final["progress"] == 1.0


async def test_a_full_buffer_waits_for_the_next_chunk_at_most_the_interval(
    start_api: StartApi, start_worker: StartWorker
) -> None:
    api = await start_api()
    token = await api.register()
    job = await api.create_job(token)
    writer = PausingWriter("x" * 300, " and the rest.")  # past flush_chars, then a silence
    deltas: list[tuple[str, float]] = []
    async with api.socket(token) as socket:
        await socket.ack()
        operation = await socket.subscribe(JOB_EVENTS, {"id": job["id"]})
        await start_worker(writer, flush_chars=200, flush_interval_ms=100)
        while (payload := await socket.next_payload(operation)) is not None:
            event = payload["data"]["jobEvents"]
            if event["type"] == "DELTA":
                deltas.append((event["delta"], time.monotonic()))

    assert [text for text, _ in deltas] == ["x" * 300, " and the rest."]
    assert deltas[0][1] < writer.resumed_at, "the full buffer went out during the pause"
    final = await api.job(token, job["id"])
    assert final is not None and final["coverLetter"] == "x" * 300 + " and the rest."
