"""RabbitMQ away: accepted jobs are never lost; the API and workers reconnect by themselves."""

import asyncio
import itertools
import logging
import time
from collections.abc import Awaitable

import pytest
from prometheus_client import REGISTRY

from broker.base import Broker, Delivery, JobMessage, Outcome, Resync
from broker.rabbitmq import RabbitBroker
from core.jobs import JobKind
from tests.broker.test_fanout import event
from tests.client import Api, assemble
from tests.conftest import StartApi, StartWorker
from tests.faults.held import letters_held_mid_way
from tests.faults.outages import rabbitmq_down, start_rabbitmq, stop_rabbitmq
from tests.waiting import until, until_async
from worker.writers.offline import OfflineWriter

pytestmark = pytest.mark.parametrize("stack", ["production"], indirect=True)


async def test_a_job_created_while_the_broker_is_down_is_published_by_the_sweep(
    start_api: StartApi, start_worker: StartWorker, caplog: pytest.LogCaptureFixture
) -> None:
    api = await start_api()
    await start_worker()
    token = await api.register()
    caplog.set_level(logging.INFO)

    async with rabbitmq_down():
        await asyncio.sleep(0.5)
        job = await api.create_job(token)
        assert job["status"] == "PENDING"
        await asyncio.sleep(3.0)  # the sweep tries it every 0.5 s once it is 1 s old
        still = await api.job(token, job["id"])
        assert still is not None and still["status"] == "PENDING"

    done = await api.wait_for_status(token, job["id"], "COMPLETED", timeout=30)
    assert done["attempts"] == 1, "published once by the sweep, written once"
    # the API's line for the job it accepted; the sweep's tries said it every round again
    unpublished = [r.getMessage() for r in caplog.records if r.name == "broker.outbox"]
    assert [m.split(" (")[0] for m in unpublished] == [f"job {job['id']} not published now"]


async def test_subscriptions_get_a_fresh_snapshot_after_a_broker_restart_and_finish(
    start_api: StartApi, start_worker: StartWorker
) -> None:
    api = await start_api()
    await start_worker(OfflineWriter(pace_ms=80))
    token = await api.register()
    jobs = [await api.create_job(token, companyName=f"Company {n}") for n in range(3)]
    subscriptions = [
        asyncio.create_task(api.job_events(token, job["id"], timeout=60)) for job in jobs
    ]
    for job in jobs:
        await api.wait_for_status(token, job["id"], "PROCESSING", timeout=10)
    await asyncio.sleep(0.3)

    await stop_rabbitmq()
    await asyncio.sleep(1.0)
    await start_rabbitmq()

    for job, subscription in zip(jobs, subscriptions, strict=True):
        events = await subscription
        final = await api.job(token, job["id"])
        assert final is not None and final["status"] == "COMPLETED"
        assert events[-1]["status"] == "COMPLETED"
        assert assemble(events) == final["coverLetter"]
        for before, after in itertools.pairwise(events):
            assert after["seq"] > before["seq"], "seq strictly increases"
            if after["seq"] > before["seq"] + 1:
                # events lost in the outage: the row is re-read, unless what follows the gap
                # replaces the buffer anyway (API.md: a STATUS carries the whole text; the
                # redelivered message's new attempt begins with one)
                replaces = after["type"] == "STATUS" and after["text"] is not None
                assert after["type"] == "SNAPSHOT" or replaces, (before, after)
    # Whether events were lost depends on timing: aio-pika may cancel the running handler
    # when its channel dies, and the redelivered message then starts a new attempt whose
    # events follow on without a gap, or whose first STATUS comes after one. The SNAPSHOT
    # comes exactly when something was missed and nothing replaces the buffer (API.md:
    # seq strictly increases, so an unneeded one cannot be sent).


async def test_the_api_still_accepts_jobs_after_the_broker_came_back(api: Api) -> None:
    token = await api.register()
    async with rabbitmq_down():
        pass
    await asyncio.sleep(2.5)  # past the reconnect interval
    job = await api.create_job(token)
    done = await api.wait_for_status(token, job["id"], "COMPLETED", timeout=30)
    assert done["coverLetter"]


async def test_an_outage_is_logged_once_when_lost_and_once_when_back(
    broker: Broker, caplog: pytest.LogCaptureFixture
) -> None:
    assert isinstance(broker, RabbitBroker)
    events = broker.events()
    listening = asyncio.ensure_future(anext(events))  # a consumer, as an API has one
    await asyncio.sleep(0.2)
    caplog.set_level(logging.INFO)

    async with rabbitmq_down():
        await until(lambda: not broker.publishing)
        for seq in range(1, 51):  # a streaming worker's flushes meanwhile: dropped, quietly
            await broker.publish_event(event("streaming-job", seq))
        await asyncio.sleep(3.5)  # three failed attempts to reconnect each connection
    assert isinstance(await asyncio.wait_for(listening, 15), Resync)
    await events.aclose()  # type: ignore[attr-defined]  # an async generator

    from_libraries = [r for r in caplog.records if r.name.startswith(("aiormq", "aio_pika"))]
    assert from_libraries == [], "the libraries' reconnection loop stays quiet"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not [r for r in caplog.records if r.name == "broker.rabbitmq"], "nothing per event"
    ours = [r.getMessage() for r in caplog.records if r.name == "core.outages"]
    told = sorted(" ".join(message.split()[2:4]) for message in ours)
    assert told == [
        "careerops-consume back",
        "careerops-consume lost",
        "careerops-publish back",
        "careerops-publish lost",
    ], ours


async def test_events_published_across_a_reconnect_are_not_told_one_by_one(
    broker: Broker, caplog: pytest.LogCaptureFixture
) -> None:
    # Right after the publishing connection came back, before its channel did, each event
    # published failed with the channel closed and logged a WARNING of its own.
    assert isinstance(broker, RabbitBroker)
    caplog.set_level(logging.INFO)
    streaming = asyncio.ensure_future(_stream_events(broker))
    try:
        async with rabbitmq_down():
            await until(lambda: not broker.publishing)
        await until(lambda: broker.publishing, timeout=30)
        await asyncio.sleep(2)
    finally:
        streaming.cancel()

    told = [r.getMessage() for r in caplog.records if r.name == "broker.rabbitmq"]
    assert told == [], told


async def _stream_events(broker: Broker) -> None:
    for seq in itertools.count(1):  # a streaming worker's flushes: ten a second per job
        await broker.publish_event(event("streaming-job", seq))
        await asyncio.sleep(0.005)


async def test_messages_an_outage_leaves_unsettled_are_not_told_one_by_one(
    start_api: StartApi, start_worker: StartWorker, caplog: pytest.LogCaptureFixture
) -> None:
    # Each job that ended while its message could not be acked logged a WARNING of its
    # own ("could not settle message"): a line per job, beside the outage's own three per
    # connection, for what RabbitMQ then simply redelivers.
    api = await start_api()
    token, jobs, writer = await letters_held_mid_way(api, start_worker, 4)
    caplog.set_level(logging.INFO)
    counted_before = _settles_failed()

    async with rabbitmq_down():
        writer.go_on.set()  # each letter ends while its message cannot be acked
        for job in jobs:
            await api.wait_for_status(token, job["id"], "COMPLETED", timeout=30)

    unsettled = [r for r in caplog.records if "settle" in r.getMessage()]
    assert unsettled == [], [r.getMessage() for r in unsettled]
    assert _settles_failed() - counted_before == 4, "counted instead"


def _settles_failed() -> float:
    counted = REGISTRY.get_sample_value("careerops_broker_errors_total", {"operation": "settle"})
    return counted or 0.0


async def test_a_worker_stopping_while_the_broker_is_down_neither_waits_nor_comes_back(
    broker: Broker, caplog: pytest.LogCaptureFixture
) -> None:
    # Stopping waited 5 s for a CancelOk that only a reconnect could bring; and a consumer
    # it did not forget would be restored by a reconnect during the grace, handing a
    # stopping worker new jobs.
    handed: list[Delivery] = []

    async def handle(delivery: Delivery) -> Outcome:
        handed.append(delivery)
        return Outcome.ACK

    await broker.consume_jobs(handle, prefetch=1)
    async with rabbitmq_down():
        await until_async(lambda: _not(broker.ready()))
        stopping_from = time.monotonic()
        await broker.stop_consuming(grace=1)
        stopped_in = time.monotonic() - stopping_from
    await until_async(broker.ready, timeout=30)
    await broker.publish_job(JobMessage("a-job-for-someone-else", JobKind.COVER_LETTER))
    await asyncio.sleep(1)  # the time a restored consumer would take it in

    assert stopped_in < 1, f"stopping took {stopped_in:.1f} s"
    assert not [r for r in caplog.records if "cancel the consumer" in r.getMessage()]
    assert handed == [], "no consumer restored after the reconnect"
    assert (await broker.queue_depths())["jobs"] == 1, "the message waits for another worker"


async def _not(check: Awaitable[bool]) -> bool:
    return not await check
