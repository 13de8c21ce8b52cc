"""Looking into the durable queues: depths and dead letters (for operators and tests)."""

from aio_pika.abc import AbstractRobustConnection

from broker.rabbitmq.topology import Topology


async def queue_depths(connection: AbstractRobustConnection, names: Topology) -> dict[str, int]:
    channel = await connection.channel()
    try:
        depths = {}
        for name, queue in (("jobs", names.jobs), ("dead", names.dead)):
            declared = await channel.declare_queue(queue, passive=True)
            depths[name] = declared.declaration_result.message_count or 0
        return depths
    finally:
        await channel.close()


async def read_dead_letters(
    connection: AbstractRobustConnection, names: Topology, *, take: bool
) -> list[bytes]:
    """The dead-lettered bodies; ``take`` removes them, otherwise they stay parked."""
    channel = await connection.channel()
    try:
        queue = await channel.declare_queue(names.dead, passive=True)
        bodies: list[bytes] = []
        while (message := await queue.get(no_ack=False, fail=False)) is not None:
            bodies.append(message.body)
            if take:
                await message.ack()
        return bodies
    finally:
        await channel.close()  # closing returns every unacked (peeked) message to the queue
