"""A worker killed mid-stream, or one that hangs: another takes over, the old one is fenced out."""

import asyncio
import signal
from collections.abc import AsyncIterator

import pytest

from core.jobs import JobStatus
from core.settings import Settings
from db import jobs
from db.connection import Db, utcnow
from db.jobs import Sql, TextFlush
from tests.client import assemble
from tests.conftest import StartApi, StartWorker
from tests.processes import environment, worker_process
from worker.writers.base import LetterRequest
from worker.writers.offline import OfflineWriter


@pytest.mark.parametrize("stack", ["production"], indirect=True)
async def test_a_worker_killed_mid_stream_is_taken_over_and_its_late_writes_change_nothing(
    start_api: StartApi, settings: Settings, db: Db
) -> None:
    api = await start_api()
    token = await api.register()
    job = await api.create_job(token)
    subscription = asyncio.create_task(api.job_events(token, job["id"], timeout=60))
    env = environment(settings, CAREEROPS_WRITER_PACE_MS="30")

    async with worker_process(env) as doomed:
        await api.wait_for_status(token, job["id"], "PROCESSING", timeout=20)
        await asyncio.sleep(0.8)
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(10)
        partial = await api.job(token, job["id"])
        assert partial is not None and partial["partialText"], "it died with text half written"
        async with worker_process(env):
            events = await subscription

    final = await api.job(token, job["id"])
    assert final is not None and final["status"] == "COMPLETED" and final["attempts"] == 2
    attempts = [e for e in events if e["type"] == "STATUS" and e["status"] == "PROCESSING"]
    assert [e["attempt"] for e in attempts] == [1, 2]
    assert attempts[1]["text"] == "", "the new attempt starts from empty text"
    assert assemble(events) == final["coverLetter"]
    assert final["coverLetter"].count("Dear ") == 1, "exactly one letter"

    # The dead attempt wakes up and tries to write and to finish: both are fenced out.
    late = await jobs.append_text(
        db, TextFlush(job["id"], attempt=1, delta=" LATE", progress=0.5, lease_until=utcnow())
    )
    finished = await jobs.transition(
        db,
        job["id"],
        JobStatus.COMPLETED,
        fence_attempts=1,
        changes={"cover_letter": Sql("partial_text")},
    )
    assert late is None and finished is None
    assert await api.job(token, job["id"]) == final


@pytest.mark.timeout(150)
@pytest.mark.parametrize("stack", ["production"], indirect=True)
async def test_a_frozen_worker_is_dropped_by_rabbitmq_and_its_job_taken_over_within_its_lease(
    start_api: StartApi, settings: Settings
) -> None:
    # A stopped process renews nothing and says nothing: only RabbitMQ's heartbeat (10 s,
    # so the connection is dropped within about 30 s) hands its job on. The lease has not
    # run out by then, so the sweep has published no second message for it either.
    api = await start_api()
    token = await api.register()
    job = await api.create_job(token)
    env = environment(settings, CAREEROPS_WRITER_PACE_MS="30", CAREEROPS_LEASE_SECONDS="120")

    async with worker_process(env) as frozen:
        await api.wait_for_status(token, job["id"], "PROCESSING", timeout=20)
        frozen.send_signal(signal.SIGSTOP)
        try:
            async with worker_process(env):
                await api.wait_for_status(token, job["id"], "COMPLETED", timeout=90)
        finally:
            frozen.send_signal(signal.SIGCONT)

    final = await api.job(token, job["id"])
    assert final is not None and final["attempts"] == 2


class HangsOnceWriter:
    """The first attempt writes a little, then hangs in its call for ever (alive, stuck)."""

    def __init__(self) -> None:
        self.calls = 0
        self.stuck_attempt_cancelled = asyncio.Event()

    async def write(self, request: LetterRequest) -> AsyncIterator[str]:
        self.calls += 1
        if self.calls == 1:
            yield "Dear stuck "
            try:
                await asyncio.Event().wait()
            finally:
                self.stuck_attempt_cancelled.set()
        async for chunk in OfflineWriter().write(request):
            yield chunk

    async def close(self) -> None:
        pass


async def test_a_hung_attempt_loses_its_lease_and_another_attempt_completes_the_job(
    start_api: StartApi, start_worker: StartWorker
) -> None:
    api = await start_api()
    writer = HangsOnceWriter()
    await start_worker(writer, lease_seconds=1.0)
    token = await api.register()
    job = await api.create_job(token)

    done = await api.wait_for_status(token, job["id"], "COMPLETED", timeout=30)

    assert done["attempts"] == 2
    assert "Dear stuck" not in done["coverLetter"]
    await asyncio.wait_for(writer.stuck_attempt_cancelled.wait(), 5)
