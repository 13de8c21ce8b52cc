"""The service's processes for the bench: ``careerops api`` or a worker with a bench writer.

Applies the bench-only patches named in ``BENCH_PATCHES`` first (see ``bench.patches``),
so an optimisation can be measured before anyone changes the service.
"""

import argparse
import asyncio
import os
import signal
import sys

import uvloop

from bench.patches import apply_patches


def _worker(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from bench.writers import InstantWriter, PacedWriter
    from core.settings import Settings
    from worker.main import worker_running
    from worker.writers.base import Writer

    settings = Settings.from_env(os.environ).require()
    settings = replace(settings, worker_concurrency=args.concurrency)
    writer: Writer = (
        InstantWriter() if args.writer == "instant" else PacedWriter(args.tokens, args.rate)
    )

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        async with worker_running(settings, writer=writer):
            print("bench worker ready", flush=True)
            await stop.wait()

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:  # as `careerops worker`
        runner.run(run())
    return 0


def main(argv: list[str]) -> int:
    apply_patches()
    if argv and argv[0] == "worker":
        parser = argparse.ArgumentParser(prog="bench worker")
        parser.add_argument("--writer", choices=("instant", "paced"), default="instant")
        parser.add_argument("--concurrency", type=int, default=4)
        parser.add_argument("--tokens", type=int, default=400)
        parser.add_argument("--rate", type=float, default=50.0)
        return _worker(parser.parse_args(argv[1:]))
    from api.cli import main as careerops

    return careerops(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
