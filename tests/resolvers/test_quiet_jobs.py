"""A job that finished while its events were lost still reaches its jobEvents and myJobs
subscribers: the API checks the rows of quiet subscriptions."""

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from broker.fanout import Hub
from db.connection import Db
from tests.client import JOB_EVENTS, Api, Socket
from tests.conftest import StartApi, StartWorker
from tests.rows import complete_without_events
from worker.writers.offline import OfflineWriter

#: seconds without an event before a watched job's row is checked
QUIET = 0.5


async def _next_event(socket: Socket, operation: str, timeout: float) -> dict[str, object] | None:
    payload = await socket.next_payload(operation, timeout=timeout)
    return None if payload is None else payload["data"]["jobEvents"]


async def test_a_quiet_job_finished_without_events_reaches_its_subscriber(
    start_api: StartApi, db: Db
) -> None:
    api = await start_api(quiet_job_check_seconds=QUIET)
    token = await api.register()
    job = await api.create_job(token)
    async with api.socket(token) as socket:
        await socket.ack()
        operation = await socket.subscribe(JOB_EVENTS, {"id": job["id"]})
        snapshot = await _next_event(socket, operation, timeout=10)
        assert snapshot is not None and snapshot["type"] == "SNAPSHOT"
        # Quiet and unchanged: checked, but nothing is sent.
        with pytest.raises(TimeoutError):
            await _next_event(socket, operation, timeout=QUIET * 4)

        await complete_without_events(db, job["id"])
        final = await _next_event(socket, operation, timeout=QUIET * 10)
        end = await _next_event(socket, operation, timeout=QUIET * 4)

    assert final is not None
    assert (final["type"], final["status"], final["text"]) == (
        "SNAPSHOT",
        "COMPLETED",
        "Dear team,",
    )
    assert final["seq"] == snapshot["seq"] + 1  # type: ignore[operator]
    assert end is None, "the subscription completes after the terminal snapshot"


@asynccontextmanager
async def _my_jobs(api: Api, token: str, fields: str) -> AsyncIterator[tuple[Socket, str]]:
    """A socket with a myJobs subscription of ``fields``, registered with the hub."""
    hub: Hub = api.app.state.hub
    async with api.socket(token) as socket:
        await socket.ack()
        before = hub.subscriber_count
        operation = await socket.subscribe(f"subscription {{ myJobs {{ {fields} }} }}")
        for _ in range(500):
            if hub.subscriber_count > before:
                break
            await asyncio.sleep(0.01)
        else:
            raise AssertionError("the subscription never registered with the hub")
        yield socket, operation


async def test_a_job_finished_without_events_reaches_its_owners_my_jobs(
    start_api: StartApi, db: Db
) -> None:
    api = await start_api(quiet_job_check_seconds=QUIET)
    token = await api.register()
    async with _my_jobs(api, token, "id status seq") as (socket, operation):
        job = await api.create_job(token)
        pending = await socket.next_payload(operation, timeout=10)
        assert pending is not None
        assert pending["data"]["myJobs"] == {
            "id": job["id"],
            "status": "PENDING",
            "seq": job["seq"],
        }

        await complete_without_events(db, job["id"])
        finished = await socket.next_payload(operation, timeout=QUIET * 10)

    assert finished is not None
    assert finished["data"]["myJobs"] == {
        "id": job["id"],
        "status": "COMPLETED",
        "seq": job["seq"] + 1,
    }


async def test_a_job_streaming_longer_than_the_check_interval_is_not_taken_for_lost(
    start_api: StartApi, start_worker: StartWorker
) -> None:
    api = await start_api(quiet_job_check_seconds=QUIET)
    await start_worker(OfflineWriter(pace_ms=60))  # seconds of DELTAs, no status change
    token = await api.register()
    async with _my_jobs(api, token, "id status") as (socket, operation):
        job = await api.create_job(token)
        statuses: list[str] = []
        arrived: list[float] = []
        while not statuses or statuses[-1] != "COMPLETED":
            payload = await socket.next_payload(operation, timeout=30)
            assert payload is not None
            statuses.append(payload["data"]["myJobs"]["status"])
            arrived.append(time.monotonic())
        # A check of the quiet user now and then would push PROCESSING again.
        with pytest.raises(TimeoutError):
            await socket.next_payload(operation, timeout=QUIET * 3)

    assert statuses == ["PENDING", "PROCESSING", "COMPLETED"], job["id"]
    assert arrived[-1] - arrived[1] > 3 * QUIET, "the job streamed through several checks"


async def test_a_subscription_is_checked_soon_after_it_falls_quiet(
    start_api: StartApi, db: Db
) -> None:
    # The rounds came once a span: a subscription that fell quiet just after one waited
    # almost two spans (an outside tester saw 41-54 s of silence under the default 30).
    quiet = 6.0
    api = await start_api(quiet_job_check_seconds=quiet)
    token = await api.register()
    job = await api.create_job(token)
    await asyncio.sleep(quiet / 2)  # halfway between two of the old rounds
    async with api.socket(token) as socket:
        await socket.ack()
        operation = await socket.subscribe(JOB_EVENTS, {"id": job["id"]})
        assert await _next_event(socket, operation, timeout=10) is not None
        subscribed = time.monotonic()
        await complete_without_events(db, job["id"])
        final = await _next_event(socket, operation, timeout=quiet * 3)
        silence = time.monotonic() - subscribed

    assert final is not None and final["status"] == "COMPLETED"
    assert quiet <= silence < quiet * 1.35, f"heard after {silence:.1f} s of silence"
