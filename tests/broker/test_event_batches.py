"""Events published together travel together, and arrive each in its place."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from broker.base import Broker, Resync
from broker.rabbitmq.batching import Batches
from core.events import JobEvent
from core.logs import quiet_libraries
from tests.broker.test_fanout import event


class SlowWire:
    """Records each message; every send takes a while, as a real one does."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.fail: Exception | None = None

    async def send(self, body: bytes) -> None:
        await asyncio.sleep(0.01)
        if self.fail is not None:
            raise self.fail
        self.messages.append(body)


async def test_a_lone_event_goes_out_alone_and_those_behind_it_together() -> None:
    wire = SlowWire()
    batches = Batches(wire.send)
    first = asyncio.create_task(batches.publish(event("a", 1).to_json()))
    await asyncio.sleep(0)  # the first is on the wire now
    rest = [batches.publish(event("a", seq).to_json()) for seq in range(2, 7)]

    await asyncio.gather(first, *rest)

    assert len(wire.messages) == 2
    assert [e.seq for e in JobEvent.many_from_json(wire.messages[0])] == [1]
    assert wire.messages[0].startswith(b"{"), "a lone event is a plain object, as before"
    assert [e.seq for e in JobEvent.many_from_json(wire.messages[1])] == [2, 3, 4, 5, 6]


async def test_a_failed_send_fails_every_event_in_it() -> None:
    wire = SlowWire()
    wire.fail = ConnectionError("gone")
    batches = Batches(wire.send)

    results = await asyncio.gather(
        *(batches.publish(event("a", seq).to_json()) for seq in range(1, 4)),
        return_exceptions=True,
    )

    assert all(isinstance(r, ConnectionError) for r in results)


@contextlib.asynccontextmanager
async def listening(broker: Broker) -> AsyncIterator[list[JobEvent]]:
    received: list[JobEvent] = []
    stream = broker.events()

    async def collect() -> None:
        async for item in stream:
            if not isinstance(item, Resync):
                received.append(item)

    task = asyncio.create_task(collect())
    await asyncio.sleep(0.5)  # the listener's queue is bound
    try:
        yield received
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest.mark.usefixtures("stack")
async def test_many_events_published_at_once_all_arrive_in_order(broker: Broker) -> None:
    async with listening(broker) as received:
        for seq in range(1, 301, 100):
            await asyncio.gather(
                *(
                    broker.publish_event(event(job, s))
                    for s in range(seq, seq + 100)
                    for job in "ab"
                )
            )
        for _ in range(100):
            if len(received) >= 600:
                break
            await asyncio.sleep(0.05)

    for job in "ab":
        assert [e.seq for e in received if e.job_id == job] == list(range(1, 301))


@pytest.mark.parametrize("stack", ["production"], indirect=True)
async def test_an_event_nobody_listens_to_is_dropped_without_a_word(
    broker: Broker, caplog: pytest.LogCaptureFixture
) -> None:
    quiet_libraries()  # as every process configures its logs: no library's debug lines
    caplog.set_level(logging.DEBUG)
    letter = "Dear Acme, I would like to join your data team."
    unheard = replace(event("a", 1), delta=letter)  # no API process is listening

    await broker.publish_event(unheard)
    await asyncio.sleep(0.5)  # RabbitMQ returns an unroutable mandatory message at once

    assert not [r for r in caplog.records if letter in r.getMessage()]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
