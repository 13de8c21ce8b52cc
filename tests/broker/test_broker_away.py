"""A broker that is away is told as an outage, not as a failure of this process."""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aio_pika
import pytest

from broker.base import RESYNC, BrokerUnavailable, Resync
from broker.fanout import Hub
from broker.rabbitmq.outages import away_as_unavailable
from core.events import JobEvent
from core.settings import Settings
from db.rounds import every
from tests.conftest import StartApi, StartWorker
from tests.waiting import until


async def test_a_wait_aio_pika_cancels_is_the_broker_away_but_the_callers_own_cancel_is_not() -> (
    None
):
    loop = asyncio.get_running_loop()

    async def wait_on_the_connection(reply: asyncio.Future[None]) -> None:
        with away_as_unavailable("reading"):
            await reply

    given_up: asyncio.Future[None] = loop.create_future()
    waiting = asyncio.create_task(wait_on_the_connection(given_up))
    await asyncio.sleep(0)
    given_up.cancel()  # what aio-pika does to a connection's waiters when it gives it up
    with pytest.raises(BrokerUnavailable, match="reading: the connection was given up"):
        await waiting

    cancelled = asyncio.create_task(wait_on_the_connection(loop.create_future()))
    await asyncio.sleep(0)
    cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled


def test_a_call_between_two_connection_attempts_is_the_broker_away() -> None:
    with (
        pytest.raises(BrokerUnavailable, match="Connection was not opened"),
        away_as_unavailable("listening"),
    ):
        raise RuntimeError("Connection was not opened")


class AwayThenBack:
    """``events()`` fails ``times`` times as a broker that is away, then yields forever."""

    def __init__(self, times: int) -> None:
        self.times = times
        self.listened = 0

    async def events(self) -> AsyncIterator[JobEvent | Resync]:
        self.listened += 1
        if self.listened <= self.times:
            raise BrokerUnavailable("listening for events: Connection was not opened")
        yield RESYNC
        await asyncio.Event().wait()


async def test_an_event_listener_whose_broker_is_away_warns_once_and_once_back(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # It logged an ERROR with a traceback every second for as long as the broker was away.
    monkeypatch.setattr(asyncio, "sleep", _no_wait(asyncio.sleep))
    broker = AwayThenBack(times=5)
    hub = Hub()
    with caplog.at_level(logging.WARNING):
        relaying = asyncio.create_task(hub.run(broker))  # type: ignore[arg-type]
        await until(lambda: broker.listened == 6, timeout=5)
        await asyncio.sleep(0.05)
        relaying.cancel()

    lines = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert lines == [
        (
            "WARNING",
            "event listener lost (BrokerUnavailable: listening for events: Connection was"
            " not opened); resubscribing every second; subscribers re-read rows",
        ),
        ("WARNING", lines[1][1]),
    ]
    assert lines[1][1].startswith("event listener back after ")


def _no_wait(
    sleep: Callable[[float], Awaitable[None]],
) -> Callable[[float], Awaitable[None]]:
    async def short(seconds: float) -> None:
        await sleep(min(seconds, 0.01))

    return short


def _abandoning_the_first_job_message(
    monkeypatch: pytest.MonkeyPatch, jobs_queue: str
) -> list[str]:
    """aio-pika's publish, except that the first job message's confirm is abandoned as a
    connection given up on (missed heartbeats) abandons it: its wait is cancelled."""
    publish = aio_pika.Exchange.publish
    abandoned: list[str] = []

    async def abandoning(
        self: aio_pika.Exchange, message: aio_pika.Message, routing_key: str, **kwargs: Any
    ) -> Any:
        if routing_key == jobs_queue and not abandoned:
            abandoned.append(routing_key)
            confirm = asyncio.get_running_loop().create_future()
            asyncio.get_running_loop().call_soon(confirm.cancel)
            await confirm
        return await publish(self, message, routing_key, **kwargs)

    monkeypatch.setattr(aio_pika.Exchange, "publish", abandoning)
    return abandoned


@pytest.mark.parametrize("stack", ["production"], indirect=True)
async def test_a_job_whose_confirm_the_connection_abandons_is_accepted_and_swept(
    start_api: StartApi,
    start_worker: StartWorker,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The cancelled wait left the mutation as a bare HTTP 500 with its job committed: a
    # client retrying without a key made the letter twice.
    abandoned = _abandoning_the_first_job_message(monkeypatch, f"{settings.amqp_prefix}jobs")
    api = await start_api()
    token = await api.register()

    job = await api.create_job(token)

    assert abandoned and job["status"] == "PENDING"
    await start_worker()
    assert (await api.wait_for_status(token, job["id"], "COMPLETED", timeout=30))["coverLetter"]


async def test_rounds_go_on_after_a_wait_a_library_cancelled_but_stop_when_cancelled() -> None:
    # The sweep's rounds ended for good, without a line, when a publish's wait was
    # cancelled inside one: accepted jobs waited for a sweep that never came.
    rounds = 0

    async def one_round() -> None:
        nonlocal rounds
        rounds += 1
        if rounds == 1:
            given_up = asyncio.get_running_loop().create_future()
            given_up.cancel()
            await given_up

    running = asyncio.create_task(every(0.01, one_round, name="sweep"))
    await until(lambda: rounds >= 3, timeout=5)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
