"""B5: ``job(id)`` queries/s over HTTP with a token, beside a bare asyncpg JSON endpoint."""

import asyncio
import json
import time
from typing import Any
from urllib.parse import urlsplit

from bench import procs, profiling
from bench.env import BenchEnv
from bench.loadgen import AgentPool
from bench.ops import JOB, auth_header, create_job, register
from bench.results import Results, Row
from bench.sizes import Sizes
from bench.stats import alternate, percentile
from bench.wire.http import HttpConnection


class PollAgent:
    """``connections`` keep-alive connections, each sending its next request on the answer."""

    def __init__(self, init: dict[str, Any]) -> None:
        self.init = init

    async def handle(self, command: str, arg: dict[str, Any]) -> dict[str, Any]:
        host, port = self.init["host"], self.init["port"]
        method, path = self.init["method"], self.init["path"]
        body, headers = self.init["body"].encode(), self.init["headers"].encode()
        deadline = time.monotonic() + arg["seconds"]
        latencies: list[float] = []
        errors = 0

        async def client() -> None:
            nonlocal errors
            connection = HttpConnection(host, port)
            try:
                while (sent := time.monotonic()) < deadline:
                    status, answer = await connection.request(method, path, body, headers)
                    latencies.append((time.monotonic() - sent) * 1000)
                    if status != 200 or b'"job":null' in answer or b"errors" in answer:
                        errors += 1
            finally:
                connection.close()

        await asyncio.gather(*(client() for _ in range(arg["connections"])))
        return {"count": len(latencies), "errors": errors, "latencies": latencies[::10]}

    async def close(self) -> None:
        return None


async def run(env: BenchEnv, sizes: Sizes, results: Results, extra: dict[str, str]) -> None:
    print("B5: job(id) polling vs a bare asyncpg endpoint", flush=True)
    api = await procs.start_api(env.process_env(**extra), name="b5-api")
    port = procs.free_port()
    bare = procs.spawn(
        "b5-bare", ["-m", "bench.baselines.json_endpoint", "--port", str(port)], env.process_env()
    )
    try:
        await procs.wait_http(bare, f"http://127.0.0.1:{port}/healthz")
        assert api.url is not None
        token = await register(api.url)
        job_id, _ = await create_job(api.url, token)
        address = urlsplit(api.url)
        body = json.dumps({"query": JOB, "variables": {"id": job_id}})
        service = {
            "host": address.hostname,
            "port": address.port,
            "method": "POST",
            "path": "/graphql",
            "body": body,
            "headers": ("Content-Type: application/json\r\n" + auth_header(token).decode()),
        }
        baseline = {
            "host": "127.0.0.1",
            "port": port,
            "method": "GET",
            "path": f"/jobs/{job_id}",
            "body": "",
            "headers": "",
        }
        pools = {
            "service": (
                AgentPool("bench.scenarios.polling.PollAgent", [service] * sizes.agents),
                api,
            ),
            "bare asyncpg": (
                AgentPool("bench.scenarios.polling.PollAgent", [baseline] * sizes.agents),
                bare,
            ),
        }
        arg = {"connections": sizes.polling_connections, "seconds": sizes.polling_seconds}

        def side(pool: AgentPool, server: procs.Proc) -> Any:
            async def run_round() -> tuple[float, dict[str, Any]]:
                cpu0, load0, started = procs.cpu_ns(server.pid), pool.cpu_ns(), time.monotonic()
                replies = await pool.call("run", arg)
                wall = time.monotonic() - started
                count = sum(reply["count"] for reply in replies)
                return count / sizes.polling_seconds, {
                    "errors": sum(reply["errors"] for reply in replies),
                    "cpu_us": (procs.cpu_ns(server.pid) - cpu0) / 1000 / max(count, 1),
                    "loadgen_core": (pool.cpu_ns() - load0) / 1e9 / wall / sizes.agents,
                    "latencies": [v for reply in replies for v in reply["latencies"]],
                }

            return run_round

        try:
            for pool, _ in pools.values():  # warm up
                await pool.call("run", {"connections": 2, "seconds": 0.5})
            rounds = await alternate({n: side(*p) for n, p in pools.items()}, sizes.rounds)
            if sizes.profile:
                print("B5: profiling the API under load", flush=True)
                load = asyncio.create_task(pools["service"][0].call("run", {**arg, "seconds": 6}))
                await asyncio.sleep(0.5)
                folded = await profiling.record({"B5-api": api.pid}, 5)
                await load
                results.profiles.update(
                    {name: profiling.summarize(path) for name, path in folded.items()}
                )
        finally:
            for pool, _ in pools.values():
                await pool.close()
    finally:
        procs.stop(api, bare)
    service, base = rounds["service"], rounds["bare asyncpg"]
    errors = sum(e["errors"] for e in service.extras)
    loadgen = max(e["loadgen_core"] for r in rounds.values() for e in r.extras)
    results.add(
        Row(
            "B5",
            "job(id) queries/s",
            service.median,
            base.median,
            "ratio >= 0.30",
            service.median >= 0.3 * base.median and errors == 0,
            "/s",
            f"{service.extra_median('cpu_us') / 1000:.2f} per query",
            f"bare: {base.extra_median('cpu_us') / 1000:.2f} CPU-ms/query; p50 "
            f"{percentile(service.pooled('latencies'), 50):.1f} ms vs "
            f"{percentile(base.pooled('latencies'), 50):.1f} ms; {errors} errors; "
            f"max load-generator CPU {loadgen:.0%} of a core",
        )
    )
