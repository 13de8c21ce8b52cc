"""Live events sent from the hub's dispatch (``schema.express``) match the long way's."""

import asyncio

from broker.fanout import Hub, Subscription
from tests.client import JOB_EVENTS, LEGACY_WS, TRANSPORT_WS, assemble
from tests.conftest import StartApi, StartWorker
from tests.resolvers.test_job_events import assert_gapless
from tests.waiting import until
from worker.writers.offline import OfflineWriter


def subscription_added(hub: Hub, job_id: str, known: set[Subscription]) -> Subscription:
    (added,) = hub.subscriptions_of_job(job_id) - known
    return added


async def test_events_sent_from_the_dispatch_are_the_ones_the_long_way_sends(
    start_api: StartApi, start_worker: StartWorker
) -> None:
    api = await start_api()
    hub, (token, job) = api.hub, await api.user_with_job()
    short = await api.following(token, job["id"], TRANSPORT_WS)
    short_inbox = subscription_added(hub, job["id"], set())
    # graphql-ws has no short way: its events all go through the operation's task.
    long = await api.following(token, job["id"], LEGACY_WS)
    long_inbox = subscription_added(hub, job["id"], {short_inbox})

    await start_worker(OfflineWriter(pace_ms=2))
    short_events, long_events = await asyncio.gather(short, long)

    assert short_events == long_events
    assert short_events[0]["type"] == "SNAPSHOT" and short_events[-1]["status"] == "COMPLETED"
    assert_gapless(short_events)
    final = await api.job(token, job["id"])
    assert final is not None and assemble(short_events) == final["coverLetter"]
    deltas = sum(event["type"] == "DELTA" for event in short_events)
    assert deltas >= 3
    # Every DELTA and the PROCESSING status are "next"; an event that found the reader
    # still busy with the one before took the long way, so not necessarily all of them.
    assert 1 <= short_inbox.expressed <= deltas + 1
    assert long_inbox.expressed == 0


async def test_an_operation_the_client_completed_is_sent_nothing_more(
    start_api: StartApi, start_worker: StartWorker
) -> None:
    api = await start_api()
    hub, (token, job) = api.hub, await api.user_with_job()
    async with api.socket(token) as socket:
        await socket.ack()
        stopped = await socket.subscribe(JOB_EVENTS, {"id": job["id"]})
        assert (await socket.next_payload(stopped)) is not None  # its SNAPSHOT
        await start_worker(OfflineWriter(pace_ms=15))
        await api.wait_for_status(token, job["id"], "PROCESSING")
        await until(lambda: next(iter(hub.subscriptions_of_job(job["id"]))).expressed >= 2)

        await socket.stop(stopped)
        # Once the server answers a ping sent after the complete, the operation is over,
        # and nothing for it may follow.
        await socket.sent_before_pong()
        seq_after_stop = (await api.job(token, job["id"]) or {})["seq"]
        await api.wait_for_status(token, job["id"], "COMPLETED")
        final = await api.job(token, job["id"])
        assert final is not None and final["seq"] > seq_after_stop, "events went on after"

        assert await socket.sent_before_pong() == []
    await until(lambda: not hub.subscriptions_of_job(job["id"]))
