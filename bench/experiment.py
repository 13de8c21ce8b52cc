"""Before/after one proposed change, in the same run: ``python -m bench.experiment``.

``--patches orjson,no_access_log --scenario B1`` starts the service twice (as it is,
and with the bench patches of ``bench.patches``), alternates the same load between
them and appends the medians to ``bench/experiments.md``.
"""

import argparse
import asyncio
import json
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench import procs
from bench.env import BenchEnv, bench_env, delete_topology
from bench.loadgen import AgentPool
from bench.ops import JOB, auth_header, create_job, register
from bench.scenarios.loops import open_loop_args
from bench.stats import Rounds, alternate, percentile

OUTPUT = Path(__file__).parent / "experiments.md"


async def _stack(env: BenchEnv, patches: str, scenario: str) -> list[procs.Proc]:
    process_env = env.process_env(BENCH_PATCHES=patches)
    workers = []
    if scenario in ("B1", "B2"):
        workers = [
            procs.spawn(
                f"x-worker{i}-{patches or 'before'}",
                ["-m", "bench.service_main", "worker"],
                process_env,
            )
            for i in range(2)
        ]
    api = await procs.start_api(process_env, name=f"x-api-{patches or 'before'}")
    for worker in workers:
        await procs.wait_log(worker, "bench worker ready")
    return [api, *workers]


async def _pool(scenario: str, api: procs.Proc, agents: int) -> AgentPool:
    assert api.url is not None
    address = urlsplit(api.url)
    token = await register(api.url)
    if scenario in ("B1", "B2"):
        inits = [{"host": address.hostname, "port": address.port, "token": token}] * agents
        pool = AgentPool("bench.scenarios.clients.ServiceClient", inits)
        await pool.call("setup")
        return pool
    job_id, _ = await create_job(api.url, token)
    init = {
        "host": address.hostname,
        "port": address.port,
        "method": "POST",
        "path": "/graphql",
        "body": json.dumps({"query": JOB, "variables": {"id": job_id}}),
        "headers": "Content-Type: application/json\r\n" + auth_header(token).decode(),
    }
    return AgentPool("bench.scenarios.polling.PollAgent", [init] * agents)


def _side(
    scenario: str, pool: AgentPool, stack: list[procs.Proc], seconds: float, rate: float
) -> Any:
    pids = [proc.pid for proc in stack]

    async def run() -> tuple[float, dict[str, Any]]:
        # Only one stack is loaded at a time: PostgreSQL's and RabbitMQ's CPU meanwhile is its.
        infra = procs.InfraCpu()
        cpu0 = procs.total_cpu_ns(pids)
        if scenario == "B2":
            # An open loop: the value is the first-event p99 (lower is better), as in B2.
            args = open_loop_args(rate, seconds, len(pool.pids))
            replies = await pool.call("open", args, per_agent=True)
            first = [v for reply in replies for v in reply["first_ms"]]
            total = len(first)
            cpu_ms = (procs.total_cpu_ns(pids) - cpu0) / 1e6 / max(total, 1)
            return percentile(first, 99), {"cpu_ms": cpu_ms, "p50": percentile(first, 50)}
        if scenario == "B1":
            replies = await pool.call("closed", {"slots": 16, "seconds": seconds})
            done = sum(reply["completed"] for reply in replies)
            total = sum(reply["total"] for reply in replies)
        else:
            replies = await pool.call("run", {"connections": 16, "seconds": seconds})
            done = total = sum(reply["count"] for reply in replies)
        return done / seconds, {
            "cpu_ms": (procs.total_cpu_ns(pids) - cpu0) / 1e6 / max(total, 1),
            "infra_ms": infra.spent_ns() / 1e6 / max(total, 1),
        }

    return run


async def experiment(patches: str, scenario: str, rounds: int, seconds: float, rate: float) -> str:
    procs.raise_fd_limit()
    async with bench_env() as env:
        # Each stack gets queues of its own, or the workers would take each other's jobs.
        after_env = replace(env, prefix=f"{env.prefix}after.")
        before, after = await _stack(env, "", scenario), await _stack(after_env, patches, scenario)
        try:
            pools = [await _pool(scenario, stack[0], 2) for stack in (before, after)]
            sides = {
                "before": _side(scenario, pools[0], before, seconds, rate),
                "after": _side(scenario, pools[1], after, seconds, rate),
            }
            for side in sides.values():
                await side()  # warm-up round, not counted
            results: dict[str, Rounds] = await alternate(sides, rounds)
            for pool in pools:
                await pool.close()
        finally:
            procs.stop(*before, *after)
            await delete_topology(env.amqp_url, after_env.prefix)
    unit = {"B1": "jobs/s", "B2": f"ms first-event p99 at {rate:g} jobs/s"}.get(
        scenario, "queries/s"
    )
    b, a = results["before"], results["after"]
    return (
        f"| {datetime.now(UTC):%Y-%m-%d %H:%M} | {scenario} | {patches} | "
        f"{b.median:,.0f} {unit} | {a.median:,.0f} {unit} | {a.median / b.median:.2f} | "
        f"{b.extra_median('cpu_ms'):.2f} → {a.extra_median('cpu_ms'):.2f}{_infra(b, a)} | "
        f"{', '.join(f'{v:,.0f}' for v in b.values)} / {', '.join(f'{v:,.0f}' for v in a.values)} |"
    )


def _infra(before: Rounds, after: Rounds) -> str:
    if not all("infra_ms" in extra for extra in before.extras + after.extras):
        # B2's rounds: their p50 beside the p99 the row compares
        return f" (p50 {before.extra_median('p50'):.1f} → {after.extra_median('p50'):.1f} ms)"
    return (
        f" (PostgreSQL and RabbitMQ {before.extra_median('infra_ms'):.2f}"
        f" → {after.extra_median('infra_ms'):.2f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.experiment", description=__doc__)
    parser.add_argument("--patches", required=True)
    parser.add_argument("--scenario", choices=("B1", "B2", "B5"), default="B5")
    parser.add_argument("--rate", type=float, default=60, help="B2: jobs/s to each stack")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4)
    args = parser.parse_args()
    started = time.monotonic()
    line = asyncio.run(
        experiment(args.patches, args.scenario, args.rounds, args.seconds, args.rate)
    )
    if not OUTPUT.exists():
        OUTPUT.write_text(
            "# Bench-only patches, before and after (same run, alternated)\n\n"
            "| date | scenario | patches | before | after | after ÷ before |"
            " service CPU-ms per job/query | rounds (before / after) |\n"
            "| --- | --- | --- | --- | --- | --- | --- | --- |\n"
        )
    with OUTPUT.open("a") as out:
        out.write(line + "\n")
    print(line)
    print(f"({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
