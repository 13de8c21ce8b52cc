"""The raw aio-pika two-hop pipeline's worker: consume a job, publish its event, ack.

``python -m bench.baselines.raw_pipeline`` with BENCH_AMQP_URL and BENCH_PREFIX.
The same guarantees as the service's path: a durable queue, manual acks after the
event is out, ``prefetch`` messages at once; the event carries a letter-sized text.
"""

import argparse
import asyncio
import json
import os
import signal

import aio_pika

from bench.writers import LETTER


async def run(url: str, prefix: str, prefetch: int) -> None:
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=prefetch)
        queue = await channel.declare_queue(f"{prefix}raw.jobs", durable=True)
        events = await connection.channel()
        exchange = await events.declare_exchange(
            f"{prefix}raw.events", aio_pika.ExchangeType.FANOUT
        )

        async def on_job(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            job = json.loads(message.body)
            event = {"job_id": job["job_id"], "status": "COMPLETED", "text": LETTER}
            await exchange.publish(aio_pika.Message(json.dumps(event).encode()), routing_key="")
            await message.ack()

        await queue.consume(on_job)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        print("raw worker ready", flush=True)
        await stop.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--prefetch", type=int, default=4)
    args = parser.parse_args()
    asyncio.run(run(os.environ["BENCH_AMQP_URL"], os.environ["BENCH_PREFIX"], args.prefetch))
