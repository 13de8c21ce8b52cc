"""A job that finished while its events were lost still reaches its jobEvents and myJobs
subscribers: the API checks the rows of quiet subscriptions."""

import asyncio

import pytest

from db.connection import Db
from tests.client import JOB_EVENTS, Socket
from tests.conftest import StartApi
from tests.rows import complete_without_events

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


async def test_a_job_finished_without_events_reaches_its_owners_my_jobs(
    start_api: StartApi, db: Db
) -> None:
    api = await start_api(quiet_job_check_seconds=QUIET)
    token = await api.register()
    async with api.socket(token) as socket:
        await socket.ack()
        operation = await socket.subscribe("subscription { myJobs { id status seq } }")
        await asyncio.sleep(0.3)  # registered with the hub
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
