"""Coalesced flushes: one UPDATE + one DELTA per ~100 ms or per N characters."""

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from tests.client import Api, Json, assemble
from tests.conftest import StartApi, StartWorker
from tests.resolvers.test_cancel_and_retry_job import CANCEL
from worker.writers.base import LetterRequest, Writer


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

    def __init__(self) -> None:
        self.resumed_at = 0.0

    async def write(self, request: LetterRequest) -> AsyncIterator[str]:
        yield "Dear team,"
        await asyncio.sleep(1.0)
        self.resumed_at = time.monotonic()
        yield " thank you."

    async def close(self) -> None:
        pass


class QuickWriter:
    """A short letter in two chunks, written long before any flush is due."""

    async def write(self, request: LetterRequest) -> AsyncIterator[str]:
        yield "Dear team, "
        yield "thank you."

    async def close(self) -> None:
        pass


LETTER = "Dear team, thank you."


async def watch_one_job(
    start_api: StartApi, start_worker: StartWorker, writer: Writer, **settings: Any
) -> tuple[Api, str, str, list[Json]]:
    """A job written by ``writer`` under these settings, and all a jobEvents subscriber saw."""
    api = await start_api()
    token = await api.register()
    job = await api.create_job(token)
    subscription = asyncio.create_task(api.job_events(token, job["id"]))
    await asyncio.sleep(0.2)
    await start_worker(writer, **settings)
    return api, token, job["id"], await subscription


async def test_the_text_after_the_last_flush_is_stored_by_the_completion(
    start_api: StartApi, start_worker: StartWorker
) -> None:
    api, token, job_id, events = await watch_one_job(
        start_api, start_worker, QuickWriter(), flush_chars=10_000, flush_interval_ms=10_000
    )

    *_, delta, completed = events
    assert (delta["type"], delta["status"], delta["delta"]) == ("DELTA", "PROCESSING", LETTER)
    assert (completed["type"], completed["status"], completed["text"]) == (
        "STATUS",
        "COMPLETED",
        LETTER,
    )
    assert completed["seq"] == delta["seq"] + 1, "no gap: subscribers take both in order"
    assert delta["at"] == completed["at"], "one UPDATE stored the text and the completion"
    stored = await api.job(token, job_id)
    assert stored is not None
    assert (stored["seq"], stored["coverLetter"], stored["partialText"]) == (
        completed["seq"],
        LETTER,
        LETTER,
    )
    assert assemble(events) == LETTER


async def test_many_tiny_chunks_are_coalesced_by_size(
    start_api: StartApi, start_worker: StartWorker
) -> None:
    *_, events = await watch_one_job(
        start_api, start_worker, CharByCharWriter(), flush_chars=200, flush_interval_ms=10_000
    )

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
        from tests.client import JOB_EVENTS

        operation = await socket.subscribe(JOB_EVENTS, {"id": job["id"]})
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
