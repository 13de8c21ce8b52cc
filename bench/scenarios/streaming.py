"""B6: 200 jobs streaming ~400 tokens at 50 tokens/s each, one jobEvents subscriber per job."""

import asyncio
import json
import time
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import asyncpg

from bench import procs
from bench.env import BenchEnv
from bench.loadgen import AgentPool
from bench.ops import CREATE_BODY, JOB_EVENTS, auth_header, register
from bench.results import Results, Row
from bench.sizes import Sizes
from bench.stats import percentile
from bench.wire.http import HttpPool
from bench.wire.ws import connect_graphql


class StreamAgent:
    """Creates ``jobs`` jobs and follows each on a socket of its own until it completes."""

    def __init__(self, init: dict[str, Any]) -> None:
        self.host, self.port, self.token = init["host"], init["port"], init["token"]

    async def _follow(self, job_id: str, lags: list[float], done: asyncio.Future[None]) -> None:
        socket = await connect_graphql(self.host, self.port, self.token)

        def on_next(op_id: str, payload: dict[str, Any]) -> None:
            event = payload["data"]["jobEvents"]
            if event["type"] != "SNAPSHOT":
                at = datetime.fromisoformat(event["at"]).timestamp()
                lags.append((time.time() - at) * 1000)
            if event["status"] in ("COMPLETED", "FAILED", "CANCELLED") and not done.done():
                done.set_result(None)

        def on_done(op_id: str, message: dict[str, Any]) -> None:
            if not done.done():
                done.set_result(None)

        socket.on_next, socket.on_done = on_next, on_done
        socket.subscribe("1", JOB_EVENTS, {"id": job_id})
        try:
            await asyncio.wait_for(done, 120)
        finally:
            socket.socket.close()

    async def handle(self, command: str, arg: dict[str, Any]) -> dict[str, Any]:
        http = HttpPool(self.host, self.port)
        lags: list[float] = []
        ids: list[str] = []
        follows = []
        for _ in range(arg["jobs"]):
            _, body = await http.post_json("/graphql", CREATE_BODY, auth_header(self.token))
            job_id = json.loads(body)["data"]["createCoverLetter"]["id"]
            ids.append(job_id)
            done = asyncio.get_running_loop().create_future()
            follows.append(asyncio.create_task(self._follow(job_id, lags, done)))
        await asyncio.gather(*follows)
        http.close()
        return {"ids": ids, "lags": lags}

    async def close(self) -> None:
        return None


async def _db_updates(database_url: str, ids: list[str]) -> tuple[float, float]:
    """Row updates per job-second of writing, and the writing time per job (s)."""
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch(
            "SELECT seq, duration_ms FROM jobs WHERE id = ANY($1::text[]) AND status = 'COMPLETED'",
            ids,
        )
    finally:
        await connection.close()
    # Every UPDATE of a job bumps seq, except the one that records the confirmed publish.
    updates = sum(row["seq"] + 1 for row in rows)
    seconds = sum((row["duration_ms"] or 0) / 1000 for row in rows)
    return updates / max(seconds, 1e-6), seconds / max(len(rows), 1)


async def run(env: BenchEnv, sizes: Sizes, results: Results, extra: dict[str, str]) -> None:
    print(f"B6: {sizes.stream_jobs} streaming jobs x {sizes.stream_tokens} tokens", flush=True)
    service_env = env.process_env(**extra)
    concurrency = str(max(4, sizes.stream_jobs // 2 + 1))
    # A hundred jobs flushing ten times a second queue for 10 connections (lag p50 265 ms
    # with 10, 118-145 ms with 25); two such workers and the API stay within
    # max_connections.
    worker_env = {**service_env, "CAREEROPS_DB_POOL_SIZE": "25"}
    workers = [
        procs.spawn(
            f"b6-worker{i}",
            [
                "-m",
                "bench.service_main",
                "worker",
                "--writer",
                "paced",
                "--concurrency",
                concurrency,
                "--tokens",
                str(sizes.stream_tokens),
                "--rate",
                str(sizes.stream_rate),
            ],
            worker_env,
        )
        for i in range(2)
    ]
    api = await procs.start_api(service_env, name="b6-api")
    try:
        for worker in workers:
            await procs.wait_log(worker, "bench worker ready")
        assert api.url is not None
        address = urlsplit(api.url)
        tokens = [await register(api.url) for _ in range(sizes.agents)]
        inits = [{"host": address.hostname, "port": address.port, "token": t} for t in tokens]
        async with AgentPool("bench.scenarios.streaming.StreamAgent", inits) as pool:
            pids = [api.pid, *(worker.pid for worker in workers)]
            infra = procs.InfraCpu()
            cpu0, load0, api0 = procs.total_cpu_ns(pids), pool.cpu_ns(), procs.cpu_ns(api.pid)
            started = time.monotonic()
            per_agent = [sizes.stream_jobs // sizes.agents] * sizes.agents
            per_agent[0] += sizes.stream_jobs - sum(per_agent)
            replies = await pool.call("run", [{"jobs": n} for n in per_agent], per_agent=True)
            wall = time.monotonic() - started
            cpu = procs.total_cpu_ns(pids) - cpu0
            api_cpu = procs.cpu_ns(api.pid) - api0
            infra_cpu = infra.spent_ns()
            loadgen = (pool.cpu_ns() - load0) / 1e9 / wall / sizes.agents
    finally:
        procs.stop(api, *workers)
    ids = [job_id for reply in replies for job_id in reply["ids"]]
    lags = [lag for reply in replies for lag in reply["lags"]]
    rate, job_seconds = await _db_updates(env.database_url, ids)
    kilotokens = sizes.stream_jobs * sizes.stream_tokens / 1000
    cpu_text = (
        f"{cpu / 1e6 / kilotokens:.0f} per 1k tokens (+{infra_cpu / 1e6 / kilotokens:.0f} pg+mq)"
    )
    split = (
        f"API {api_cpu / 1e6 / kilotokens:.0f} + workers"
        f" {(cpu - api_cpu) / 1e6 / kilotokens:.0f} CPU-ms per 1k tokens"
    )
    results.add(
        Row(
            "B6",
            "DB updates per job-second",
            rate,
            None,
            "<= 10",
            rate <= 10,
            "",
            cpu_text,
            f"{split}; {job_seconds:.1f} s of writing per job; wall {wall:.1f} s",
        )
    )
    lag99 = percentile(lags, 99)
    results.add(
        Row(
            "B6",
            "event lag p99",
            lag99,
            None,
            "<= 150 ms",
            lag99 <= 150,
            " ms",
            note=f"p50 {percentile(lags, 50):.0f} ms over {len(lags)} events; "
            f"load-generator CPU {loadgen:.0%} of a core",
        )
    )
    results.latencies["B6 event lag (ms)"] = {"service": lags}
