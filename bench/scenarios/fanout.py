"""B3 (fan-out to 5,000 jobEvents subscriptions) and B4 (memory per idle subscription).

Each side (the service's API process, the bare websocket broadcaster) gets a fresh
process per round: connect ``idle_first`` sockets (one idle subscription each, to a job
of its own), measure, connect the rest, measure again (RSS, and on the service the cost
per event of a job watched by one probe socket, which it measures a third time with the
rest closed and then reconnects), then add a fan-out subscription on 100, 1,000, 5,000
sockets and time bursts; at full size, events at a steady rate give the lag.
"""

import asyncio
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import asyncpg

from bench import procs, profiling
from bench.env import BenchEnv
from bench.loadgen import AgentPool
from bench.ops import insert_idle_jobs, register, user_id_of
from bench.procs import Proc
from bench.results import Results, Row
from bench.sizes import Sizes
from bench.stats import Rounds, alternate, median, percentile
from broker.rabbitmq import RabbitBroker
from core.events import EventType, JobEvent
from core.jobs import JobStatus

_FILLER = "x" * 180  # a flush's worth of text


class Publisher:
    """Publishes DELTA events to the service's fanout exchange, with consecutive seqs per job."""

    def __init__(self, env: BenchEnv, user_id: str) -> None:
        self.broker = RabbitBroker(env.amqp_url, prefix=env.prefix)
        self.user_id = user_id
        self.seqs: dict[str, int] = {}

    async def publish(self, job_id: str) -> None:
        seq = self.seqs[job_id] = self.seqs.get(job_id, 0) + 1
        await self.broker.publish_event(
            JobEvent(
                job_id=job_id,
                user_id=self.user_id,
                seq=seq,
                type=EventType.DELTA,
                status=JobStatus.PROCESSING,
                attempt=1,
                progress=0.5,
                at=datetime.now(UTC),
                delta=f"t={time.monotonic():.6f}|{_FILLER}",
            )
        )

    async def at_rate(self, job_id: str, count: int, rate: float) -> None:
        start = time.monotonic()
        for index in range(count):
            delay = start + index / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            await self.publish(job_id)


class Fixture:
    def __init__(self, env: BenchEnv, sizes: Sizes, token: str, user_id: str) -> None:
        self.env, self.sizes, self.token, self.user_id = env, sizes, token, user_id
        self.idle: list[str] = []
        self.publisher = Publisher(env, user_id)

    async def prepare(self) -> None:
        self.idle = await insert_idle_jobs(
            self.env.database_url, self.user_id, self.sizes.subscribers
        )
        await self.publisher.broker.connect()

    async def fresh_job(self) -> str:
        """A new job row (seq 0) for the probe or the fan-out: its events start at seq 1."""
        return (await insert_idle_jobs(self.env.database_url, self.user_id, 1))[0]

    async def catch_up(self, job_id: str) -> None:
        """New subscribers' snapshots must carry the seq already published, or they resync."""
        connection = await asyncpg.connect(self.env.database_url)
        try:
            await connection.execute(
                "UPDATE jobs SET seq = $1 WHERE id = $2", self.publisher.seqs.get(job_id, 0), job_id
            )
        finally:
            await connection.close()


async def _start(env: BenchEnv, side: str, extra: dict[str, str]) -> Proc:
    if side == "service":
        return await procs.start_api(env.process_env(**extra), name="b3-api")
    port = procs.free_port()
    proc = procs.spawn(
        "b3-bare",
        ["-m", "bench.baselines.ws_broadcast", "--port", str(port)],
        env.process_env(BENCH_AMQP_URL=env.amqp_url, BENCH_PREFIX=env.prefix),
    )
    proc.url = f"http://127.0.0.1:{port}"
    await procs.wait_http(proc, f"{proc.url}/healthz")
    return proc


def _split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


async def _cost_per_event(fixture: Fixture, pool: AgentPool, server: Proc, job: str) -> float:
    """Server CPU-µs per event of one watched job, net of what the open sockets cost idle.

    The events go out in slices, each beside an idle slice as long (which one comes first
    alternates), so the sockets' own periodic work falls into both alike: 5,000 sockets
    send a keep-alive every 15 s and a ping every 20 s, in bursts as long as connecting
    them took. One idle window before all the events, as this measured before, caught a
    burst or missed it, and the ratio of two such figures ran from 0.73 to 1.38 with the
    code unchanged.
    """
    sizes = fixture.sizes
    per_slice = sizes.cost_events // sizes.cost_slices
    # CPU-ns and seconds spent, by whether the slice carried events
    cpu = {False: 0, True: 0}
    seconds = {False: 0.0, True: 0.0}
    for index in range(sizes.cost_slices):
        for loaded in (False, True) if index % 2 == 0 else (True, False):
            cpu0, started = procs.cpu_ns(server.pid), time.monotonic()
            if loaded:
                await _probe_events(fixture, pool, job, per_slice)
            else:
                await asyncio.sleep(per_slice / sizes.cost_rate)
            cpu[loaded] += procs.cpu_ns(server.pid) - cpu0
            seconds[loaded] += time.monotonic() - started
    idle_per_s = cpu[False] / seconds[False]
    return (cpu[True] - idle_per_s * seconds[True]) / 1000 / (per_slice * sizes.cost_slices)


async def _probe_events(fixture: Fixture, pool: AgentPool, job: str, count: int) -> None:
    """``count`` events of the probe job at the cost rate; returns once all have arrived."""
    await pool.call(
        "arm",
        [{"counter": "probe", "expected": count}]
        + [{"counter": "probe", "expected": 0}] * (len(pool.pids) - 1),
        per_agent=True,
    )
    await fixture.publisher.at_rate(job, count, fixture.sizes.cost_rate)
    await pool.call("wait", {"counter": "probe", "timeout": 30})


async def _burst(fixture: Fixture, pool: AgentPool, job: str, subscribers: int) -> float:
    burst = fixture.sizes.burst
    await pool.call("arm", {"counter": "fan", "expected": 0})
    counts = _split(subscribers, len(pool.pids))
    await pool.call(
        "arm", [{"counter": "fan", "expected": n * burst} for n in counts], per_agent=True
    )
    started = time.monotonic()
    for _ in range(burst):
        await fixture.publisher.publish(job)
    replies = await pool.call("wait", {"counter": "fan", "timeout": 60})
    received = sum(reply["received"] for reply in replies)
    last = max(reply["last"] for reply in replies)
    return received / max(last - started, 1e-6)


async def _steady(fixture: Fixture, pool: AgentPool, job: str, server: Proc) -> dict[str, Any]:
    sizes = fixture.sizes
    events = max(1, round(sizes.steady_rate * sizes.steady_seconds))
    counts = _split(sizes.subscribers, len(pool.pids))
    await pool.call(
        "arm", [{"counter": "fan", "expected": n * events} for n in counts], per_agent=True
    )
    cpu0, started = procs.cpu_ns(server.pid), time.monotonic()
    await fixture.publisher.at_rate(job, events, sizes.steady_rate)
    replies = await pool.call("wait", {"counter": "fan", "timeout": 60})
    received = sum(reply["received"] for reply in replies)
    lags = [lag for reply in replies for lag in reply["lags"]]
    wall = max(reply["last"] for reply in replies) - started
    return {
        "lags": lags,
        "received": received,
        "expected": sizes.subscribers * events,
        "cpu_us_per_delivery": (procs.cpu_ns(server.pid) - cpu0) / 1000 / max(received, 1),
        "steady_deliveries_per_s": received / max(wall, 1e-6),
    }


async def _round(
    fixture: Fixture, side: str, extra: dict[str, str], profile: dict[str, Any] | None = None
) -> tuple[float, dict[str, Any]]:
    sizes = fixture.sizes
    server = await _start(fixture.env, side, extra)
    assert server.url is not None
    address = urlsplit(server.url)
    share = _split(sizes.subscribers, sizes.agents)
    offsets = [sum(share[:i]) for i in range(sizes.agents)]
    inits = [
        {
            "host": address.hostname,
            "port": address.port,
            "token": fixture.token,
            "idle_jobs": fixture.idle[offset : offset + count],
        }
        for offset, count in zip(offsets, share, strict=True)
    ]
    pool = AgentPool("bench.scenarios.fanout_agent.FanoutAgent", inits)
    try:
        probe, fan = await fixture.fresh_job(), await fixture.fresh_job()
        await pool.call("probe", [probe] + [None] * (sizes.agents - 1), per_agent=True)
        await pool.call("connect", _split(sizes.idle_first, sizes.agents), per_agent=True)
        await asyncio.sleep(0.5)
        rss_first = procs.rss_bytes(server.pid)
        costs: dict[str, float] = {}
        if side == "service":
            costs["first"] = await _cost_per_event(fixture, pool, server, probe)
        more = [
            total - first
            for total, first in zip(share, _split(sizes.idle_first, sizes.agents), strict=True)
        ]
        started = time.monotonic()
        await pool.call("connect", more, per_agent=True)
        connect_s = time.monotonic() - started
        await asyncio.sleep(0.5)
        rss_all = procs.rss_bytes(server.pid)
        if side == "service":
            costs["all"] = await _cost_per_event(fixture, pool, server, probe)
            # Back to the first sockets alone, as long after as the rest took to connect:
            # the two figures at the first count bracket the one with all, so a machine
            # whose speed drifts within the minute moves both sides of the ratio alike.
            closing = time.monotonic()
            await pool.call("disconnect", more, per_agent=True)
            await asyncio.sleep(max(0.5, connect_s + 0.5 - (time.monotonic() - closing)))
            costs["again"] = await _cost_per_event(fixture, pool, server, probe)
            await pool.call("connect", more, per_agent=True)
            await asyncio.sleep(0.5)
        throughput: list[tuple[int, float]] = []
        for level in sizes.levels:
            await fixture.catch_up(fan)
            await pool.call(
                "fan_out",
                [{"job": fan, "count": n} for n in _split(level, sizes.agents)],
                per_agent=True,
            )
            throughput.append((level, await _burst(fixture, pool, fan, level)))
        load0 = pool.cpu_ns()
        steady_start = time.monotonic()
        if profile is not None:
            recording = asyncio.create_task(
                profiling.record({"B3-api": server.pid}, profile["seconds"])
            )
        steady = await _steady(fixture, pool, fan, server)
        if profile is not None:
            profile["folded"] = await recording
        loadgen = (pool.cpu_ns() - load0) / 1e9 / (time.monotonic() - steady_start) / sizes.agents
    finally:
        await pool.close()
        procs.stop(server)
    per_connection = (rss_all - rss_first) / max(sizes.subscribers - sizes.idle_first, 1)
    return throughput[-1][1], {
        **steady,
        "throughput": throughput,
        "rss_per_connection": per_connection,
        **{f"cost_{name}_us": cost for name, cost in costs.items()},
        "connect_s": connect_s,
        "loadgen_core": loadgen,
    }


def _rows(results: Results, rounds: dict[str, Rounds], sizes: Sizes) -> None:
    service, bare = rounds["service"], rounds["bare websocket"]
    n = sizes.subscribers
    results.add(
        Row(
            "B3",
            f"deliveries/s, burst to {n} subscribers",
            service.median,
            bare.median,
            "ratio >= 0.5",
            service.median >= 0.5 * bare.median,
            "/s",
            f"{service.extra_median('cpu_us_per_delivery'):.0f} µs/delivery",
            f"bare: {bare.extra_median('cpu_us_per_delivery'):.0f} µs/delivery; "
            f"max load-generator CPU "
            f"{max(e['loadgen_core'] for r in rounds.values() for e in r.extras):.0%}"
            " of a core",
        )
    )
    lags = service.pooled("lags")
    lag99 = median([percentile(extra["lags"], 99) for extra in service.extras])
    lost = sum(e["expected"] - e["received"] for e in service.extras)
    results.add(
        Row(
            "B3",
            f"delivery lag p99 at {sizes.steady_rate:g} event/s x {n}",
            lag99,
            median([percentile(e["lags"], 99) for e in bare.extras]),
            "p99 <= 200 ms",
            lag99 <= 200,
            " ms",
            note=f"p50 {percentile(lags, 50):.0f} ms; {lost} deliveries missing",
        )
    )
    # The figure at the first count is the mean of the one before all connected and the
    # one after the rest closed again.
    at_first = [(e["cost_first_us"] + e["cost_again_us"]) / 2 for e in service.extras]
    growths = [e["cost_all_us"] / first for e, first in zip(service.extras, at_first, strict=True)]
    growth = median(growths)
    results.add(
        Row(
            "B3",
            f"cost per event, {n} vs {sizes.idle_first} subscribers of other jobs",
            service.extra_median("cost_all_us"),
            median(at_first),
            "ratio <= 1.2",
            growth <= 1.2,
            " µs",
            note=f"median per-round ratio {growth:.2f} ({min(growths):.2f}-{max(growths):.2f});"
            f" {sizes.idle_first} measured before and after {n}",
        )
    )
    kib, bare_kib = (r.extra_median("rss_per_connection") / 1024 for r in (service, bare))
    results.add(
        Row(
            "B4",
            f"RSS per idle subscription at {n}",
            kib,
            bare_kib,
            "<= 96 KiB and ratio <= 2",
            kib <= 96 and kib <= 2 * bare_kib,
            " KiB",
            note=f"connect {service.extra_median('connect_s'):.1f} s for "
            f"{n - sizes.idle_first} sockets",
        )
    )
    results.latencies[f"B3 delivery lag, {n} subscribers (ms)"] = {
        "service": lags,
        "bare websocket": bare.pooled("lags"),
    }
    for name, side in rounds.items():
        levels = sorted({level for e in side.extras for level, _ in e["throughput"]})
        results.fanout[name] = [
            (
                level,
                median(
                    [rate for e in side.extras for lvl, rate in e["throughput"] if lvl == level]
                ),
            )
            for level in levels
        ]


async def run(env: BenchEnv, sizes: Sizes, results: Results, extra: dict[str, str]) -> None:
    print(f"B3/B4: {sizes.subscribers} websockets, service vs bare broadcaster", flush=True)
    setup = await procs.start_api(env.process_env(**extra), name="b3-setup")
    try:
        assert setup.url is not None
        token = await register(setup.url)
    finally:
        procs.stop(setup)
    fixture = Fixture(env, sizes, token, await user_id_of(env.database_url, token))
    await fixture.prepare()
    # py-spy samples the last service round's steady phase (no extra round of 5,000 sockets).
    profile: dict[str, Any] = {"seconds": max(1, int(sizes.steady_seconds) - 1)}
    service_rounds = 0

    async def service() -> tuple[float, dict[str, Any]]:
        nonlocal service_rounds
        service_rounds += 1
        last = sizes.profile and service_rounds == sizes.rounds
        return await _round(fixture, "service", extra, profile if last else None)

    try:
        rounds = await alternate(
            {"service": service, "bare websocket": lambda: _round(fixture, "bare", extra)},
            sizes.rounds,
        )
        _rows(results, rounds, sizes)
        for name, path in profile.get("folded", {}).items():
            results.profiles[name] = profiling.summarize(path)
    finally:
        await fixture.publisher.broker.disconnect()
