"""``python -m bench [--smoke] [--only B1,B3] [--patches a,b] [--output FILE]``."""

import argparse
import asyncio
import json
import platform
import signal
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import aio_pika
import asyncpg

from bench import procs, report
from bench.env import BenchEnv, bench_env
from bench.patches import KNOWN
from bench.results import Results
from bench.scenarios import fanout, pipeline, polling, streaming
from bench.sizes import FULL, SMOKE

SCENARIOS = ("B1", "B3", "B5", "B6")  # B2 runs with B1, B4 with B3


async def _versions(env: BenchEnv) -> dict[str, str]:
    from importlib.metadata import version

    connection = await asyncpg.connect(env.database_url)
    try:
        postgres = await connection.fetchval("SHOW server_version")
    finally:
        await connection.close()
    amqp = await aio_pika.connect(env.amqp_url)
    async with amqp:
        properties = amqp.transport.connection.server_properties  # type: ignore[union-attr]
        rabbitmq = properties.get("version", "?")
    rabbitmq = rabbitmq.decode() if isinstance(rabbitmq, bytes) else str(rabbitmq)
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "Python": platform.python_version(),
        "PostgreSQL": str(postgres),
        "RabbitMQ": rabbitmq,
        "CPUs": str(len(__import__("os").sched_getaffinity(0))),
        **{name: version(name) for name in ("strawberry-graphql", "starlette", "uvicorn")},
    }


def _stop_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C, so the processes stop and the database is dropped."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


async def _run(args: argparse.Namespace, output: Path) -> Results:
    sizes = SMOKE if args.smoke else FULL
    if args.rounds:
        sizes = replace(sizes, rounds=args.rounds)
    results = Results(smoke=args.smoke)
    extra = {"BENCH_PATCHES": args.patches} if args.patches else {}
    only = set(args.only.split(",")) if args.only else set(SCENARIOS)
    procs.raise_fd_limit()
    async with bench_env() as env:
        results.meta = await _versions(env)
        if args.patches:
            results.meta["bench patches"] = args.patches
        started = time.monotonic()
        for name, scenario in (
            ("B1", pipeline),
            ("B3", fanout),
            ("B5", polling),
            ("B6", streaming),
        ):
            if name in only:
                await scenario.run(env, sizes, results, extra)
                results.meta["duration"] = f"{time.monotonic() - started:.0f} s"
                report.write(results, output, charts=False)  # a partial table survives a crash
    return results


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one round")
    parser.add_argument("--only", help=f"comma-separated subset of {','.join(SCENARIOS)}")
    parser.add_argument("--patches", default="", help=f"bench patches: {','.join(KNOWN)}")
    parser.add_argument("--rounds", type=int, default=None, help="A/B rounds (a quick look: 1)")
    parser.add_argument("--output", type=Path, default=None, help="results markdown file")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows as JSON")
    parser.add_argument("--charts", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args(argv)
    output = args.output or Path(__file__).parent / (
        "results-smoke.md" if args.smoke else "results.md"
    )
    _stop_on_sigterm()
    print(f"process logs: {procs.log_dir()}", flush=True)
    results = asyncio.run(_run(args, output))
    report.write(results, output, charts=args.charts)
    if args.json:
        args.json.write_text(json.dumps(report.as_json(results), indent=2))
    print(f"wrote {output}")
    return 0
