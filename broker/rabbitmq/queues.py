"""Looking into the durable queues: depths and dead letters (for operators and tests)."""

import contextlib
from collections.abc import Awaitable, Callable

from aio_pika.abc import AbstractRobustConnection

from broker.rabbitmq.outages import away_as_unavailable
from broker.rabbitmq.topology import Topology


async def queue_depths(connection: AbstractRobustConnection, names: Topology) -> dict[str, int]:
    with away_as_unavailable("reading the queue depths"):
        channel = await connection.channel()
        try:
            depths = {}
            for name, queue in (("jobs", names.jobs), ("dead", names.dead)):
                declared = await channel.declare_queue(queue, passive=True)
                depths[name] = declared.declaration_result.message_count or 0
            return depths
        finally:
            with contextlib.suppress(Exception):  # broken already: closing is tidying up
                await channel.close()


async def read_dead_letters(connection: AbstractRobustConnection, names: Topology) -> list[bytes]:
    """The dead-lettered bodies, left parked."""
    bodies: list[bytes] = []

    async def peek(body: bytes) -> bool:
        bodies.append(body)
        return False

    await work_through_dead_letters(connection, names, peek)
    return bodies


async def work_through_dead_letters(
    connection: AbstractRobustConnection,
    names: Topology,
    handle: Callable[[bytes], Awaitable[bool]],
) -> None:
    """Each dead-lettered body to ``handle``; acked (removed) only once it returned True.
    Only those parked at the start: a job requeued that fails again is parked anew, and
    would be taken again, round and round."""
    channel = await connection.channel()
    try:
        queue = await channel.declare_queue(names.dead, passive=True)
        for _ in range(queue.declaration_result.message_count or 0):
            message = await queue.get(no_ack=False, fail=False)
            if message is None:
                break
            if await handle(message.body):
                await message.ack()
    finally:
        await channel.close()  # closing returns every unacked message to the queue
