"""myJobs: every change of the caller's jobs reaches the subscriber, even past lost events."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import NamedTuple

from broker.base import RESYNC
from broker.fanout import Hub
from core.events import EventType
from db import jobs, users
from db.connection import Db
from db.jobs import JobRecord
from tests.client import LEGACY_WS, SAMPLE_INPUT, Api, Json, Socket
from tests.conftest import StartApi
from tests.rows import complete_without_events

MY_JOBS = "subscription { myJobs { id status } }"


async def _registered(hub: Hub, user_id: str, *, count: int = 1) -> None:
    for _ in range(500):
        if len(hub.subscriptions_of_user(user_id)) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the subscriptions never registered with the hub")


async def _subscribed(api: Api, socket: Socket, user_id: str) -> str:
    operation = await socket.subscribe(MY_JOBS)
    await _registered(api.app.state.hub, user_id)
    return operation


async def _pushed(socket: Socket, operation: str) -> Json:
    payload = await socket.next_payload(operation, timeout=10)
    assert payload is not None
    job: Json = payload["data"]["myJobs"]
    return job


class Watcher(NamedTuple):
    """A new user with one PENDING job, and their myJobs subscription."""

    token: str
    socket: Socket
    operation: str
    first_job: JobRecord


@asynccontextmanager
async def _watcher(api: Api, db: Db) -> AsyncIterator[Watcher]:
    token = await api.register()
    async with api.socket(token) as socket:
        await socket.ack()
        job = await api.create_job(token)
        record = await jobs.get_job(db, job["id"])
        assert record is not None
        yield Watcher(token, socket, await _subscribed(api, socket, record.user_id), record)


async def test_a_reader_that_fell_behind_gets_every_job_changed_meanwhile(
    start_api: StartApi, db: Db
) -> None:
    api = await start_api(subscriber_queue_size=2)
    hub: Hub = api.app.state.hub
    async with _watcher(api, db) as (token, socket, operation, first):
        second = await api.create_job(token)
        assert await _pushed(socket, operation) == {"id": second["id"], "status": "PENDING"}
        pending = await jobs.get_job(db, second["id"])
        assert pending is not None

        await complete_without_events(db, first.id)
        await complete_without_events(db, second["id"])
        # More events at once than the inbox holds: the backlog is dropped for a resync. (An
        # event the reader was sent already, so none of them can take the short way.)
        stale = pending.to_event(EventType.STATUS)
        for _ in range(3):
            hub.dispatch(stale)
        (inbox,) = hub.subscriptions_of_user(first.user_id)
        assert inbox.overflows == 1

        pushed = [await _pushed(socket, operation) for _ in range(2)]
        assert sorted(pushed, key=lambda job: job["id"]) == sorted(
            [
                {"id": first.id, "status": "COMPLETED"},
                {"id": second["id"], "status": "COMPLETED"},
            ],
            key=lambda job: job["id"],
        )


async def test_after_the_broker_came_back_the_reader_gets_what_changed_while_it_was_away(
    start_api: StartApi, db: Db
) -> None:
    api = await start_api()
    hub: Hub = api.app.state.hub
    async with _watcher(api, db) as (token, socket, operation, job):
        await complete_without_events(db, job.id)
        hub.dispatch(RESYNC)  # what the relay sends every subscriber after a reconnect

        assert await _pushed(socket, operation) == {"id": job.id, "status": "COMPLETED"}
        # Sent once: a later event of the same change adds nothing.
        completed = await jobs.get_job(db, job.id)
        assert completed is not None
        hub.dispatch(completed.to_event(EventType.STATUS))
        another = await api.create_job(token)
        assert await _pushed(socket, operation) == {"id": another["id"], "status": "PENDING"}


EVENT_FIELDS = "id status seq progress attempts error updatedAt"


async def _account(api: Api, db: Db, email: str) -> tuple[str, str]:
    """A new account's token and id."""
    token = await api.register(email)
    user = await users.get_user_by_email(db, email)
    assert user is not None
    return token, user.id


async def _pushes_until_completed(socket: Socket, operation: str) -> list[Json]:
    pushes = [await _pushed(socket, operation)]
    while pushes[-1]["status"] != "COMPLETED":
        pushes.append(await _pushed(socket, operation))
    return pushes


async def test_a_subscriber_of_what_events_carry_gets_each_status_as_the_row_had_it(
    api: Api, db: Db
) -> None:
    # Only fields every event carries: answered from the events, with no read of the row.
    token, user_id = await _account(api, db, "light-reader@example.com")
    hub: Hub = api.app.state.hub
    async with api.socket(token) as light, api.socket(token) as full:
        await light.ack()
        await full.ack()
        light_operation = await light.subscribe(f"subscription {{ myJobs {{ {EVENT_FIELDS} }} }}")
        full_operation = await full.subscribe(
            "subscription { myJobs { id status seq jobDescription } }"
        )
        await _registered(hub, user_id, count=2)
        job = await api.create_job(token)
        light_pushes = await _pushes_until_completed(light, light_operation)
        full_pushes = await _pushes_until_completed(full, full_operation)
    final = await api.data(
        f"query ($id: ID!) {{ job(id: $id) {{ {EVENT_FIELDS} }} }}", {"id": job["id"]}, token
    )

    assert [push["status"] for push in light_pushes] == ["PENDING", "PROCESSING", "COMPLETED"]
    pending, processing, completed = light_pushes
    assert (pending["seq"], pending["attempts"]) == (job["seq"], 0)
    assert (processing["seq"], processing["attempts"], processing["error"]) == (1, 1, None)
    assert processing["progress"] == 0 and processing["updatedAt"] < completed["updatedAt"]
    assert light_pushes[-1] == final["job"]
    assert full_pushes[-1]["jobDescription"] == SAMPLE_INPUT["jobDescription"]


async def test_pushes_sent_from_the_dispatch_are_the_ones_the_long_way_sends(
    api: Api, db: Db
) -> None:
    token, user_id = await _account(api, db, "short-way@example.com")
    hub: Hub = api.app.state.hub
    query = f"subscription {{ myJobs {{ {EVENT_FIELDS} }} }}"
    # graphql-ws has no short way: its pushes all go through the operation's task.
    async with api.socket(token) as short, api.socket(token, LEGACY_WS) as long:
        await short.ack()
        await long.ack()
        short_operation = await short.subscribe(query)
        await _registered(hub, user_id)
        [short_inbox] = hub.subscriptions_of_user(user_id)
        long_operation = await long.subscribe(query)
        await _registered(hub, user_id, count=2)
        [long_inbox] = hub.subscriptions_of_user(user_id) - {short_inbox}
        await api.create_job(token)
        short_pushes = await _pushes_until_completed(short, short_operation)
        long_pushes = await _pushes_until_completed(long, long_operation)

    assert short_pushes == long_pushes
    assert [push["status"] for push in short_pushes] == ["PENDING", "PROCESSING", "COMPLETED"]
    # A push that found the reader still busy with the one before took the long way.
    assert 1 <= short_inbox.expressed <= 3
    assert long_inbox.expressed == 0
