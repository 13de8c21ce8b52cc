"""A worker killed mid-stream, or one that hangs: another takes over, the old one is fenced out."""

import asyncio
import functools
import json
import signal
from collections.abc import AsyncIterator

import pytest

from broker.base import Broker, JobMessage
from core.jobs import JobKind, JobStatus
from core.settings import Settings
from db import jobs
from db.connection import Db, utcnow
from db.jobs import Sql, TextFlush
from tests.client import assemble
from tests.conftest import StartApi, StartWorker
from tests.processes import environment, worker_process
from tests.waiting import until_async
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
async def test_a_frozen_worker_is_dropped_by_rabbitmq_and_its_job_taken_over_once(
    start_api: StartApi, settings: Settings, broker: Broker
) -> None:
    # A stopped process renews nothing and says nothing: only RabbitMQ's heartbeat (10 s,
    # so the connection is dropped within about 30 s) hands its job on, before its lease
    # (120 s here) runs out. A second message for the job (as the sweep's wake-up would be)
    # goes to the frozen worker too, and both come back to the next one together: it
    # takes the job over once.
    api = await start_api()
    token = await api.register()
    job = await api.create_job(token)
    subscription = asyncio.create_task(api.job_events(token, job["id"], timeout=120))
    env = environment(settings, CAREEROPS_WRITER_PACE_MS="30", CAREEROPS_LEASE_SECONDS="120")

    async with worker_process(env) as frozen:
        await api.wait_for_status(token, job["id"], "PROCESSING", timeout=20)
        frozen.send_signal(signal.SIGSTOP)
        await broker.publish_job(JobMessage(job["id"], JobKind.COVER_LETTER))
        await until_async(lambda: _jobs_unacked(settings, 2))  # both with the frozen one
        try:
            async with worker_process(env):
                events = await subscription
        finally:
            frozen.send_signal(signal.SIGCONT)

    final = await api.job(token, job["id"])
    assert final is not None and final["status"] == "COMPLETED" and final["attempts"] == 2
    attempts = [
        e["attempt"] for e in events if e["type"] == "STATUS" and e["status"] == "PROCESSING"
    ]
    assert attempts == [1, 2]
    assert assemble(events) == final["coverLetter"]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("stack", ["production"], indirect=True)
async def test_a_worker_whose_broker_connections_drop_keeps_its_job_and_spends_no_attempt(
    start_api: StartApi, settings: Settings
) -> None:
    # A redelivered message was read as "its worker died": the job was taken over at once
    # by the other worker, an attempt more, while the first wrote on. A few such drops
    # failed jobs "after 5 attempts: the last one's worker stopped", with none stopped.
    api = await start_api()
    token = await api.register()
    job = await api.create_job(token)
    subscription = asyncio.create_task(api.job_events(token, job["id"], timeout=90))
    env = environment(settings, CAREEROPS_WRITER_PACE_MS="150")  # ten seconds and more

    async with worker_process(env) as first:
        await api.wait_for_status(token, job["id"], "PROCESSING", timeout=20)
        async with worker_process(env):  # where the redelivered message goes
            await until_async(lambda: _jobs_consumers(settings, 2), timeout=20)
            assert await _close_connections_of(first.pid) == 2
            events = await subscription

    final = await api.job(token, job["id"])
    assert final is not None and final["status"] == "COMPLETED" and final["attempts"] == 1
    attempts = [e["attempt"] for e in events if e["type"] == "STATUS" and e["status"] != "PENDING"]
    assert set(attempts) == {1}
    assert assemble(events) == final["coverLetter"]


async def _rabbitmqctl_json(*args: str) -> list[dict[str, object]]:
    listing = await asyncio.create_subprocess_exec(
        "rabbitmqctl", *args, "-q", "--formatter", "json", stdout=asyncio.subprocess.PIPE
    )
    out, _ = await listing.communicate()
    rows: list[dict[str, object]] = json.loads(out)
    return rows


async def _jobs_consumers(settings: Settings, count: int) -> bool:
    queues = await _rabbitmqctl_json("list_queues", "name", "consumers")
    return {q["name"]: q["consumers"] for q in queues}.get(f"{settings.amqp_prefix}jobs") == count


async def _close_connections_of(pid: int) -> int:
    """Close the RabbitMQ connections of process ``pid`` (named ``… host:pid …``)."""
    # As text: close_connection takes the <rabbit@host.x.y> form, which JSON does not give.
    listing = await asyncio.create_subprocess_exec(
        *("rabbitmqctl", "list_connections", "-q", "pid", "client_properties"),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await listing.communicate()
    ours = [line.split("\t", 1)[0] for line in out.decode().splitlines() if f":{pid} " in line]
    for connection in ours:
        closing = await asyncio.create_subprocess_exec(
            *("rabbitmqctl", "close_connection", connection, "a test's blip"),
            stdout=asyncio.subprocess.DEVNULL,
        )
        await closing.wait()
    return len(ours)


async def _jobs_unacked(settings: Settings, count: int) -> bool:
    """Whether RabbitMQ counts ``count`` messages of the jobs queue delivered, not acked."""
    listing = await asyncio.create_subprocess_exec(
        *("rabbitmqctl", "list_queues", "-q", "name", "messages_unacknowledged"),
        *("--formatter", "json"),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await listing.communicate()
    queues = {q["name"]: int(q["messages_unacknowledged"]) for q in json.loads(out)}
    return queues.get(f"{settings.amqp_prefix}jobs") == count


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


class AlwaysHangsWriter:
    """Every attempt writes a little, then hangs in its call for ever."""

    async def write(self, request: LetterRequest) -> AsyncIterator[str]:
        yield "Dear stuck "
        await asyncio.Event().wait()

    async def close(self) -> None:
        pass


GAVE_UP = (
    "Gave up after 2 attempts: the last one's worker stopped (it was killed, hung or lost its"
    " database past its lease, or handed it back as it shut down)."
)


async def test_a_job_that_hangs_every_attempt_fails_once_its_attempts_are_spent(
    start_api: StartApi, start_worker: StartWorker
) -> None:
    # Each lost lease was taken over with attempts + 1, whatever the budget: for ever.
    api = await start_api()
    await start_worker(AlwaysHangsWriter(), lease_seconds=1.0, max_attempts=2)
    token = await api.register()
    job = await api.create_job(token)
    subscription = asyncio.create_task(api.job_events(token, job["id"], timeout=30))

    failed = await api.wait_for_status(token, job["id"], "FAILED", timeout=30)
    events = await subscription

    assert failed["attempts"] == 2 and failed["error"] == GAVE_UP
    statuses = [(e["status"], e["attempt"]) for e in events if e["type"] == "STATUS"]
    assert statuses[-2:] == [("PROCESSING", 2), ("FAILED", 2)]


@pytest.mark.timeout(90)
@pytest.mark.parametrize("stack", ["production"], indirect=True)
async def test_a_job_whose_workers_are_killed_on_every_attempt_fails_once_its_attempts_are_spent(
    start_api: StartApi, settings: Settings, broker: Broker
) -> None:
    # A letter that takes its worker down (out of memory, say) was taken over by the next
    # worker, and the next, each redelivery an attempt more: it went round the fleet for ever.
    api = await start_api()
    token = await api.register()
    job = await api.create_job(token)
    subscription = asyncio.create_task(api.job_events(token, job["id"], timeout=80))
    env = environment(
        settings,
        CAREEROPS_WRITER_PACE_MS="30",
        CAREEROPS_MAX_ATTEMPTS="2",
        CAREEROPS_LEASE_SECONDS="2",
    )

    async def running(attempt: int) -> bool:
        now = await api.job(token, job["id"])
        return now is not None and now["status"] == "PROCESSING" and now["attempts"] == attempt

    for attempt in (1, 2):
        async with worker_process(env) as doomed:
            await until_async(functools.partial(running, attempt), timeout=30)
            doomed.send_signal(signal.SIGKILL)
            doomed.wait(10)
    async with worker_process(env):
        failed = await api.wait_for_status(token, job["id"], "FAILED", timeout=40)
        events = await subscription

    assert failed["attempts"] == 2 and failed["error"] == GAVE_UP
    assert [e["status"] for e in events if e["type"] == "STATUS"][-1] == "FAILED"
    dead = [json.loads(body)["job_id"] for body in await broker.dead_letters()]
    assert job["id"] in dead, "its message is parked with the other failed jobs' messages"
