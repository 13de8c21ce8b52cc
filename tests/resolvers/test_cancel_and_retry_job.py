"""cancelJob stops a running job; retryJob runs it again from empty text."""

import asyncio

from broker.base import Broker
from core.settings import Settings
from db.connection import Db
from tests.client import Api, assemble
from tests.conftest import StartApi, StartWorker
from tests.waiting import until
from worker.main import worker_running
from worker.writers.offline import OfflineWriter

CANCEL = "mutation($id: ID!) { cancelJob(id: $id) { id status partialText seq } }"
RETRY = "mutation($id: ID!) { retryJob(id: $id) { id status partialText attempts error } }"


async def test_cancel_mid_stream_ends_the_stream_and_stops_the_text(
    start_api: StartApi, start_worker: StartWorker
) -> None:
    api = await start_api()
    await start_worker(OfflineWriter(pace_ms=20))
    token = await api.register()
    job = await api.create_job(token)
    subscription = asyncio.create_task(api.job_events(token, job["id"]))
    await api.wait_for_status(token, job["id"], "PROCESSING")
    await asyncio.sleep(0.4)

    cancelled = (await api.data(CANCEL, {"id": job["id"]}, token))["cancelJob"]

    assert cancelled["status"] == "CANCELLED"
    events = await subscription
    assert events[-1]["type"] == "STATUS" and events[-1]["status"] == "CANCELLED"
    assert events[-1]["text"] == assemble(events) == cancelled["partialText"]
    await asyncio.sleep(0.5)  # the worker's next flush finds the job cancelled and stops
    after = await api.job(token, job["id"])
    assert after is not None
    assert after["status"] == "CANCELLED" and after["partialText"] == cancelled["partialText"]
    assert after["seq"] == cancelled["seq"] and after["coverLetter"] is None


async def test_a_second_cancel_is_a_conflict(start_api: StartApi) -> None:
    api = await start_api()  # no worker: the job stays PENDING until cancelled
    token = await api.register()
    job = await api.create_job(token)
    await api.data(CANCEL, {"id": job["id"]}, token)

    error = await api.error(CANCEL, {"id": job["id"]}, token)

    assert error["extensions"]["code"] == "CONFLICT"


async def test_cancelling_a_completed_job_is_a_conflict(api: Api) -> None:
    token = await api.register()
    job = await api.create_job(token)
    await api.wait_for_status(token, job["id"], "COMPLETED")

    error = await api.error(CANCEL, {"id": job["id"]}, token)

    assert error["extensions"]["code"] == "CONFLICT"
    assert "COMPLETED" in error["message"]


async def test_retry_runs_a_cancelled_job_again_to_completion_from_empty_text(
    start_api: StartApi, settings: Settings, db: Db, broker: Broker
) -> None:
    api = await start_api()
    token = await api.register()
    job = await api.create_job(token)
    async with worker_running(settings, db=db, broker=broker, writer=OfflineWriter(pace_ms=10)):
        await api.wait_for_status(token, job["id"], "PROCESSING")
        await asyncio.sleep(0.2)
        cancelled = (await api.data(CANCEL, {"id": job["id"]}, token))["cancelJob"]
    assert cancelled["partialText"], "the first attempt had written something"

    retried = (await api.data(RETRY, {"id": job["id"]}, token))["retryJob"]
    subscription = await api.following(token, job["id"])
    async with worker_running(settings, db=db, broker=broker, writer=OfflineWriter(pace_ms=1)):
        events = await subscription

    assert retried["status"] == "PENDING" and retried["partialText"] == ""
    assert events[0]["type"] == "SNAPSHOT" and events[0]["text"] == ""
    assert (events[1]["type"], events[1]["status"], events[1]["text"]) == (
        "STATUS",
        "PROCESSING",
        "",
    )
    assert events[1]["attempt"] == 2
    done = await api.job(token, job["id"])
    assert done is not None and done["status"] == "COMPLETED" and done["attempts"] == 2
    assert assemble(events) == done["coverLetter"]


async def test_retrying_a_pending_or_completed_job_is_a_conflict(
    start_api: StartApi, start_worker: StartWorker
) -> None:
    api = await start_api()
    token = await api.register()
    job = await api.create_job(token)
    assert (await api.error(RETRY, {"id": job["id"]}, token))["extensions"]["code"] == "CONFLICT"
    await start_worker()
    await api.wait_for_status(token, job["id"], "COMPLETED")
    assert (await api.error(RETRY, {"id": job["id"]}, token))["extensions"]["code"] == "CONFLICT"


async def test_delete_job_erases_it_and_cancels_it_first(
    start_api: StartApi, start_worker: StartWorker
) -> None:
    api = await start_api()
    await start_worker(OfflineWriter(pace_ms=20))
    token = await api.register()
    job = await api.create_job(token)
    subscription = asyncio.create_task(api.job_events(token, job["id"]))
    await api.wait_for_status(token, job["id"], "PROCESSING")

    deleted = await api.data("mutation($id: ID!) { deleteJob(id: $id) }", {"id": job["id"]}, token)

    assert deleted == {"deleteJob": True}
    events = await subscription
    assert events[-1]["status"] == "CANCELLED"
    assert await api.job(token, job["id"]) is None
    listing = await api.data("{ jobs { totalCount } }", token=token)
    assert listing["jobs"]["totalCount"] == 0
    again = await api.error("mutation($id: ID!) { deleteJob(id: $id) }", {"id": job["id"]}, token)
    assert again["extensions"]["code"] == "NOT_FOUND"


async def test_a_job_deleted_while_it_runs_reaches_my_jobs_as_cancelled(
    start_api: StartApi, start_worker: StartWorker
) -> None:
    # A selection the events answer: a row-reading one finds the job already erased.
    api = await start_api()
    await start_worker(OfflineWriter(pace_ms=20))
    token = await api.register()
    user_id = (await api.data("{ me { id } }", token=token))["me"]["id"]
    async with api.socket(token) as socket:
        await socket.ack()
        operation = await socket.subscribe("subscription { myJobs { id status } }")
        await until(lambda: bool(api.hub.subscriptions_of_user(user_id)))
        job = await api.create_job(token)
        await api.wait_for_status(token, job["id"], "PROCESSING")

        await api.data("mutation($id: ID!) { deleteJob(id: $id) }", {"id": job["id"]}, token)

        statuses: list[str] = []
        while not statuses or statuses[-1] != "CANCELLED":
            payload = await socket.next_payload(operation, timeout=10)
            assert payload is not None
            statuses.append(payload["data"]["myJobs"]["status"])
    assert statuses == ["PENDING", "PROCESSING", "CANCELLED"]


async def test_a_finished_job_was_completed_at_its_last_update(
    start_api: StartApi, start_worker: StartWorker
) -> None:
    api = await start_api()
    token = await api.register()
    waiting = await api.create_job(token)
    cancelled = await api.data(
        "mutation($id: ID!) { cancelJob(id: $id) { completedAt updatedAt } }",
        {"id": waiting["id"]},
        token,
    )
    await start_worker()
    job = await api.create_job(token)
    await api.wait_for_status(token, job["id"], "COMPLETED")
    completed = await api.data(
        "query($id: ID!) { job(id: $id) { createdAt completedAt updatedAt } }",
        {"id": job["id"]},
        token,
    )

    assert cancelled["cancelJob"]["completedAt"] == cancelled["cancelJob"]["updatedAt"]
    times = completed["job"]
    assert times["createdAt"] < times["completedAt"] == times["updatedAt"]


async def test_a_job_cancelled_while_it_waits_to_retry_no_longer_says_it_will(
    start_api: StartApi, db: Db
) -> None:
    api = await start_api()  # no worker: the job waits, as one between two attempts does
    token, job = await api.user_with_job()
    waiting = "The model is busy (429 Too Many Requests). Will retry in 60 s, at 12:00:00Z."
    await db.execute("UPDATE jobs SET error = :e WHERE id = :id", {"e": waiting, "id": job["id"]})

    cancelled = await api.data(
        "mutation($id: ID!) { cancelJob(id: $id) { status error } }", {"id": job["id"]}, token
    )

    assert cancelled["cancelJob"] == {"status": "CANCELLED", "error": None}
