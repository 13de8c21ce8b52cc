"""B1 (jobs/s end to end) and B2 (latency at half of B1's peak), beside raw aio-pika and Celery."""

import asyncio
import contextlib
import importlib.util
import signal
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bench import procs, profiling
from bench.env import BenchEnv
from bench.loadgen import AgentPool
from bench.ops import register
from bench.procs import Proc
from bench.results import Results, Row
from bench.scenarios.loops import open_loop_args
from bench.sizes import Sizes
from bench.stats import Rounds, alternate, percentile


@dataclass
class Side:
    """One client side of a comparison: its agents and the server processes it loads."""

    pool: AgentPool
    servers: Sequence[Proc]


def has_celery() -> bool:
    return importlib.util.find_spec("celery") is not None


async def _start_servers(env: BenchEnv, extra: dict[str, str]) -> dict[str, list[Proc]]:
    service_env = env.process_env(**extra)
    baseline_env = env.process_env(BENCH_AMQP_URL=env.amqp_url, BENCH_PREFIX=env.prefix)
    workers = [
        procs.spawn(f"worker{i}", ["-m", "bench.service_main", "worker"], service_env)
        for i in range(2)
    ]
    raw = [
        procs.spawn(f"raw{i}", ["-m", "bench.baselines.raw_pipeline"], baseline_env)
        for i in range(2)
    ]
    celery = [
        procs.spawn(
            f"celery{i}",
            [
                "-m",
                "celery",
                "-A",
                "bench.baselines.celery_app",
                "worker",
                "--pool",
                "solo",
                "-n",
                f"bench{i}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel",
                "WARNING",
            ],
            baseline_env,
            stop_signal=signal.SIGKILL,  # even its cold shutdown takes seconds; nothing to keep
        )
        for i in range(2 if has_celery() else 0)
    ]
    api = await procs.start_api(service_env)
    for proc in workers:
        await procs.wait_log(proc, "bench worker ready")
    for proc in raw:
        await procs.wait_log(proc, "raw worker ready")
    for proc in celery:
        await procs.wait_log(proc, "celery worker ready")
    return {"api": [api], "workers": workers, "raw": raw, "celery": celery}


@contextlib.asynccontextmanager
async def _sides(
    env: BenchEnv, sizes: Sizes, servers: dict[str, list[Proc]]
) -> AsyncIterator[dict[str, Side]]:
    api = servers["api"][0]
    assert api.url is not None
    address = urlsplit(api.url)
    tokens = [await register(api.url) for _ in range(sizes.agents)]
    service_inits = [
        {"host": address.hostname, "port": address.port, "token": token} for token in tokens
    ]
    amqp = [{"amqp_url": env.amqp_url, "prefix": env.prefix}] * sizes.agents
    sides = {
        "service": Side(
            AgentPool("bench.scenarios.clients.ServiceClient", service_inits),
            [api, *servers["workers"]],
        ),
        "raw aio-pika": Side(AgentPool("bench.scenarios.clients.RawClient", amqp), servers["raw"]),
    }
    if servers["celery"]:
        sides["celery"] = Side(
            AgentPool("bench.scenarios.clients.CeleryClient", amqp), servers["celery"]
        )
    try:
        for side in sides.values():
            await side.pool.call("setup")
        yield sides
    finally:
        for side in sides.values():
            await side.pool.close()


async def _measure(
    side: Side, command: str, arg: dict[str, Any] | list[dict[str, Any]]
) -> dict[str, Any]:
    """Run one loop on every agent (``arg``, or ``arg[i]`` for agent i); add up what it did
    and what it cost."""
    pids = [proc.pid for proc in side.servers]
    infra = procs.InfraCpu()
    cpu0, load0 = procs.total_cpu_ns(pids), side.pool.cpu_ns()
    api0 = procs.cpu_ns(pids[0])
    started = time.monotonic()
    replies = await side.pool.call(command, arg, per_agent=isinstance(arg, list))
    wall = time.monotonic() - started
    cpu, load = procs.total_cpu_ns(pids) - cpu0, side.pool.cpu_ns() - load0
    total = sum(reply.get("total", reply["completed"]) for reply in replies)
    return {
        "completed": sum(reply["completed"] for reply in replies),
        "cpu_ms_per_job": cpu / 1e6 / max(total, 1),
        # the service side's first process is its API (read for the service side only):
        # how its CPU splits with the workers'
        "api_ms_per_job": (procs.cpu_ns(pids[0]) - api0) / 1e6 / max(total, 1),
        "infra_ms_per_job": infra.spent_ns() / 1e6 / max(total, 1),
        "loadgen_core": load / 1e9 / wall / len(side.pool.pids),
        "loadgen_ms_per_job": load / 1e6 / max(total, 1),
        "first_ms": [v for reply in replies for v in reply.get("first_ms", [])],
        "done_ms": [v for reply in replies for v in reply.get("done_ms", [])],
    }


async def _throughput(sides: dict[str, Side], sizes: Sizes) -> dict[str, Rounds]:
    arg = {"slots": sizes.pipeline_slots, "seconds": sizes.pipeline_seconds}

    def round_of(side: Side) -> Any:
        async def run() -> tuple[float, dict[str, Any]]:
            measured = await _measure(side, "closed", arg)
            return measured["completed"] / sizes.pipeline_seconds, measured

        return run

    for side in sides.values():  # warm up: connections, caches, JIT-free but still
        await side.pool.call("closed", {"slots": sizes.pipeline_slots, "seconds": 1})
    return await alternate({name: round_of(side) for name, side in sides.items()}, sizes.rounds)


async def _latency(sides: dict[str, Side], sizes: Sizes, rate: float) -> dict[str, Rounds]:
    def round_of(side: Side) -> Any:
        async def run() -> tuple[float, dict[str, Any]]:
            args = open_loop_args(rate, sizes.latency_seconds, sizes.agents)
            measured = await _measure(side, "open", args)
            return percentile(measured["first_ms"], 99), measured

        return run

    chosen = {name: sides[name] for name in ("service", "raw aio-pika")}
    return await alternate({name: round_of(side) for name, side in chosen.items()}, sizes.rounds)


def _b1_rows(results: Results, rounds: dict[str, Rounds]) -> float:
    service = rounds["service"]
    cpu = f"{service.extra_median('cpu_ms_per_job'):.2f} (+{service.extra_median('infra_ms_per_job'):.2f} pg+mq)"  # noqa: E501
    api = service.extra_median("api_ms_per_job")
    loadgen = max(extra["loadgen_core"] for r in rounds.values() for extra in r.extras)
    for name, bar in (("raw aio-pika", 0.30), ("celery", 1.0)):
        if name not in rounds:
            results.notes.append("B1 vs Celery skipped: celery is not installed (bench extra).")
            continue
        baseline = rounds[name]
        ratio = service.median / baseline.median
        results.add(
            Row(
                "B1",
                f"jobs/s end to end vs {name}",
                service.median,
                baseline.median,
                f"ratio >= {bar:.2f}",
                ratio >= bar,
                " jobs/s",
                cpu,
                f"API {api:.2f} + workers {service.extra_median('cpu_ms_per_job') - api:.2f}"
                f" CPU-ms/job; {name}: {baseline.extra_median('cpu_ms_per_job'):.2f} CPU-ms/job;"
                f" max load-generator CPU {loadgen:.0%} of a core; load generator"
                f" {service.extra_median('loadgen_ms_per_job'):.2f} CPU-ms/job for the service,"
                f" {baseline.extra_median('loadgen_ms_per_job'):.2f} for {name}",
            )
        )
    results.raw["B1"] = {name: r.values for name, r in rounds.items()}
    return service.median


def _b2_rows(results: Results, rounds: dict[str, Rounds], rate: float) -> None:
    service, raw = rounds["service"], rounds["raw aio-pika"]
    first = service.pooled("first_ms")
    done = service.pooled("done_ms")
    raw_first = raw.pooled("first_ms")
    p50 = percentile(first, 50)
    note = f"at {rate:.0f} jobs/s; medians of per-round values, samples pooled for p50"
    results.add(Row("B2", "first event p50", p50, None, "<= 5 ms", p50 <= 5, " ms", note=note))
    results.add(
        Row("B2", "first event p99", service.median, None, "<= 25 ms", service.median <= 25, " ms")
    )
    results.add(
        Row(
            "B2",
            "first event p99 vs raw two-hop p99",
            service.median,
            raw.median,
            "ratio <= 4",
            service.median <= 4 * raw.median,
            " ms",
        )
    )
    results.add(
        Row(
            "B2",
            "COMPLETED event p99",
            percentile(done, 99),
            percentile(raw_first, 99),
            "-",
            None,
            " ms",
            note="baseline: raw two-hop p99",
        )
    )
    results.latencies["B2 mutation -> first event (ms)"] = {
        "service": first,
        "raw aio-pika": raw_first,
    }
    results.latencies["B2 mutation -> COMPLETED (ms)"] = {"service": done}


async def _profile(
    sides: dict[str, Side], servers: dict[str, list[Proc]], sizes: Sizes, results: Results
) -> None:
    seconds = 5
    load = asyncio.create_task(
        sides["service"].pool.call(
            "closed", {"slots": sizes.pipeline_slots, "seconds": seconds + 1}
        )
    )
    await asyncio.sleep(0.5)
    folded = await profiling.record(
        {"B1-api": servers["api"][0].pid, "B1-worker": servers["workers"][0].pid}, seconds
    )
    await load
    for name, path in folded.items():
        results.profiles[name] = profiling.summarize(path)


async def run(env: BenchEnv, sizes: Sizes, results: Results, extra_env: dict[str, str]) -> None:
    print("B1/B2: starting API, 2 workers, raw and Celery workers", flush=True)
    servers = await _start_servers(env, extra_env)
    try:
        async with _sides(env, sizes, servers) as sides:
            print("B1: closed loop, jobs/s", flush=True)
            peak = _b1_rows(results, await _throughput(sides, sizes))
            rate = max(1.0, peak / 2)
            print(f"B2: open loop at {rate:.0f} jobs/s", flush=True)
            _b2_rows(results, await _latency(sides, sizes, rate), rate)
            if sizes.profile:
                print("B1: profiling the API and a worker under load", flush=True)
                await _profile(sides, servers, sizes, results)
    finally:
        procs.stop(*(proc for group in servers.values() for proc in group))
