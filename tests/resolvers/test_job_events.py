"""The full path over real HTTP and websockets: create, stream, complete."""

import asyncio

import pytest

from tests.client import JOB_EVENTS, PROTOCOLS, Api, assemble
from tests.conftest import StartApi, StartWorker
from tests.waiting import until
from worker.writers.offline import OfflineWriter


def assert_gapless(events: list[dict[str, object]]) -> None:
    seqs = [event["seq"] for event in events]
    assert seqs == sorted(set(seqs)), f"seq not strictly increasing: {seqs}"  # type: ignore[type-var]
    live = seqs[1:]
    assert live == list(range(seqs[0] + 1, seqs[0] + 1 + len(live))), f"gap in {seqs}"  # type: ignore[operator]


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_job_streams_snapshot_status_deltas_and_completes(
    start_api: StartApi, start_worker: StartWorker, protocol: str
) -> None:
    api = await start_api()
    token = await api.register()
    job = await api.create_job(token)
    assert job["status"] == "PENDING"
    # Subscribe before any worker runs, so the whole life of the job is seen live.
    subscription = await api.following(token, job["id"], protocol)
    await start_worker(OfflineWriter(pace_ms=1))

    events = await subscription

    kinds = [(event["type"], event["status"]) for event in events]
    assert kinds[0] == ("SNAPSHOT", "PENDING")
    assert kinds[1] == ("STATUS", "PROCESSING")
    assert events[1]["text"] == "" and events[1]["attempt"] == 1
    deltas = [event for event in events if event["type"] == "DELTA"]
    assert len(deltas) >= 3
    assert kinds[-1] == ("STATUS", "COMPLETED")
    assert all(kind == ("DELTA", "PROCESSING") for kind in kinds[2:-1])
    assert_gapless(events)
    final = await api.job(token, job["id"])
    assert final is not None and final["status"] == "COMPLETED"
    assert final["coverLetter"] and len(final["coverLetter"].split()) >= 250
    assert "".join(event["delta"] for event in deltas) == final["coverLetter"]
    assert events[-1]["text"] == final["coverLetter"] == assemble(events)
    assert final["seq"] == events[-1]["seq"] and final["progress"] == 1.0


async def test_subscribing_mid_stream_yields_the_whole_text_once(
    start_api: StartApi, start_worker: StartWorker
) -> None:
    api = await start_api()
    await start_worker(OfflineWriter(pace_ms=15))
    token = await api.register()
    job = await api.create_job(token)
    await api.wait_for_status(token, job["id"], "PROCESSING")
    await asyncio.sleep(0.3)

    events = await api.job_events(token, job["id"])

    assert events[0]["type"] == "SNAPSHOT" and events[0]["status"] == "PROCESSING"
    assert events[0]["text"], "the snapshot carries the text written so far"
    assert_gapless(events)
    final = await api.job(token, job["id"])
    assert final is not None
    assert assemble(events) == final["coverLetter"]


async def test_subscribing_after_completion_yields_one_snapshot_and_completes(api: Api) -> None:
    token = await api.register()
    job = await api.create_job(token)
    done = await api.wait_for_status(token, job["id"], "COMPLETED")

    events = await api.job_events(token, job["id"])

    assert [(e["type"], e["status"]) for e in events] == [("SNAPSHOT", "COMPLETED")]
    assert events[0]["text"] == done["coverLetter"] and events[0]["seq"] == done["seq"]


async def test_two_subscriptions_on_one_socket_each_get_their_own_job(
    start_api: StartApi, start_worker: StartWorker
) -> None:
    api = await start_api()
    token = await api.register()
    first = await api.create_job(token, companyName="First Co")
    second = await api.create_job(token, companyName="Second Co")
    events: dict[str, list[dict[str, object]]] = {}
    async with api.socket(token) as socket:
        await socket.ack()
        operations = {
            await socket.subscribe(JOB_EVENTS, {"id": first["id"]}): first["id"],
            await socket.subscribe(JOB_EVENTS, {"id": second["id"]}): second["id"],
        }
        await start_worker()
        open_operations = set(operations)
        while open_operations:
            message = await socket.receive()
            if message["type"] == "complete":
                open_operations.discard(message["id"])
                continue
            event = message["payload"]["data"]["jobEvents"]
            events.setdefault(operations[message["id"]], []).append(event)
    assert {e["jobId"] for e in events[first["id"]]} == {first["id"]}
    assert {e["jobId"] for e in events[second["id"]]} == {second["id"]}
    assert "First Co" in assemble(events[first["id"]])
    assert "Second Co" in assemble(events[second["id"]])


async def test_subscribers_of_one_job_each_get_the_shape_they_asked_for(
    start_api: StartApi, start_worker: StartWorker
) -> None:
    """Subscribers with the same document share one execution per event; others do not."""
    api = await start_api()
    token = await api.register()
    job = await api.create_job(token)
    narrow = "subscription($id: ID!) { jobEvents(jobId: $id) { seq kind: type delta } }"

    async def follow(query: str) -> list[dict[str, object]]:
        async with api.socket(token) as socket:
            await socket.ack()
            return await asyncio.wait_for(socket.collect(query, {"id": job["id"]}), 30)

    following = [asyncio.create_task(follow(q)) for q in (JOB_EVENTS, JOB_EVENTS, narrow)]
    await asyncio.sleep(0.3)
    await start_worker(OfflineWriter(pace_ms=1))
    first, second, narrowed = await asyncio.gather(*following)

    assert first == second
    assert first[-1]["status"] == "COMPLETED" and assemble(first)
    assert narrowed == [
        {"seq": event["seq"], "kind": event["type"], "delta": event["delta"]} for event in first
    ]


async def test_a_subscriber_that_vanishes_mid_stream_is_dropped_and_the_others_stream_on(
    start_api: StartApi, start_worker: StartWorker
) -> None:
    api = await start_api()
    hub, (token, job) = api.hub, await api.user_with_job()
    await start_worker(OfflineWriter(pace_ms=15))
    await api.wait_for_status(token, job["id"], "PROCESSING")
    async with api.socket(token) as vanishing:
        await vanishing.ack()
        operation = await vanishing.subscribe(JOB_EVENTS, {"id": job["id"]})
        assert (await vanishing.next_payload(operation)) is not None  # its SNAPSHOT
        staying = asyncio.create_task(api.job_events(token, job["id"]))
        await until(lambda: len(hub.subscriptions_of_job(job["id"])) == 2)
        assert (await vanishing.next_payload(operation)) is not None  # a live event
        # No close frame: the connection just ends, with events still being sent to it.
        vanishing.connection.transport.abort()
        await until(lambda: len(hub.subscriptions_of_job(job["id"])) == 1)

    events = await staying

    assert events[-1]["status"] == "COMPLETED"
    assert_gapless(events)
    final = await api.job(token, job["id"])
    assert final is not None and assemble(events) == final["coverLetter"]
    await until(lambda: not hub.subscriptions_of_job(job["id"]))
