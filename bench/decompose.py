"""Where B1's API CPU goes, piece by piece: ``python -m bench.decompose``.

B1 measures the API's CPU per job as a whole. This runs one API process with no workers
and costs its parts apart: a ``createCoverLetter`` over HTTP (the INSERT, the job's
message and its PENDING event, the publish mark, and the PENDING push to the caller's
``myJobs`` socket); beside it a ``job(id)`` query over HTTP (one SELECT: what any GraphQL
request costs before its resolver's own work); then an event taken in from the fanout
exchange and pushed to that socket (a STATUS), and one taken in and pushed to nobody (a
DELTA, which ``myJobs`` does not answer). Each figure is the API process's CPU over a
batch, divided by the batch. The active-jobs limit is off (see ``decompose``).
"""

import argparse
import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit

from bench import procs
from bench.env import BenchEnv, bench_env
from bench.ops import CREATE_BODY, JOB, MY_JOBS, auth_header, register, user_id_of
from bench.wire.http import HttpConnection
from bench.wire.ws import connect_graphql
from broker.rabbitmq import RabbitBroker
from core.events import EventType, JobEvent
from core.jobs import JobStatus

#: requests in flight, as one B1 agent keeps them
IN_FLIGHT = 16
#: events published between pauses, so the API's queue never holds more than a burst
EVENT_BURST = 50


async def _api_cpu_ms_per(api: procs.Proc, count: int, work: Callable[[], Awaitable[None]]) -> str:
    """The API's CPU-ms per unit of ``work``, and PostgreSQL's and RabbitMQ's beside it."""
    infra = procs.InfraCpu()
    before = procs.cpu_ns(api.pid)
    started = time.monotonic()
    await work()
    await asyncio.sleep(0.5)  # what the last units left queued (their pushes) is theirs
    api_ms = (procs.cpu_ns(api.pid) - before) / 1e6 / count
    pace = count / (time.monotonic() - started)
    return f"API {api_ms:.3f} CPU-ms, pg+mq {infra.spent_ns() / 1e6 / count:.3f} ({pace:.0f}/s)"


class Decomposition:
    def __init__(self, env: BenchEnv, api: procs.Proc, token: str, user_id: str) -> None:
        assert api.url is not None
        address = urlsplit(api.url)
        assert address.hostname is not None and address.port is not None
        self.env, self.api, self.user_id = env, api, user_id
        self.connections = [
            HttpConnection(address.hostname, address.port) for _ in range(IN_FLIGHT)
        ]
        self.headers = auth_header(token)
        self.job_ids: list[str] = []
        self.pushes = 0

    async def _post(self, count: int, body: Callable[[], bytes], field: str) -> None:
        left = [count]

        async def one_connection(connection: HttpConnection) -> None:
            while left[0] > 0:
                left[0] -= 1
                status, answer = await connection.post_json("/graphql", body(), self.headers)
                data = json.loads(answer).get("data") if status == 200 else None
                if not data or not data.get(field):
                    raise RuntimeError(f"{field} answered {status}: {answer[:200]!r}")
                if field == "createCoverLetter":
                    self.job_ids.append(data[field]["id"])

        await asyncio.gather(*(one_connection(c) for c in self.connections))

    async def create_jobs(self, count: int) -> None:
        await self._post(count, lambda: CREATE_BODY, "createCoverLetter")

    async def poll_jobs(self, count: int) -> None:
        ids = iter(self.job_ids * (count // len(self.job_ids) + 1))
        await self._post(
            count,
            lambda: json.dumps({"query": JOB, "variables": {"id": next(ids)}}).encode(),
            "job",
        )

    async def publish_events(self, broker: RabbitBroker, kind: EventType, count: int) -> None:
        for index, job_id in enumerate(self.job_ids[-count:]):
            await broker.publish_event(
                JobEvent(
                    job_id=job_id,
                    user_id=self.user_id,
                    seq=2 if kind is EventType.STATUS else 3,
                    type=kind,
                    status=JobStatus.PROCESSING,
                    attempt=1,
                    progress=0.5,
                    at=datetime.now(UTC),
                    text="" if kind is EventType.STATUS else None,
                    delta="x" * 180 if kind is EventType.DELTA else None,
                )
            )
            if index % EVENT_BURST == EVENT_BURST - 1:
                await asyncio.sleep(0.02)

    def close(self) -> None:
        for connection in self.connections:
            connection.close()


async def decompose(count: int, patches: str) -> list[str]:
    async with bench_env() as env:
        # No worker finishes these jobs: counted under the active-jobs limit, thousands of
        # PENDING jobs would make each INSERT's count cost what B1's (at most 32) never does.
        api = await procs.start_api(
            env.process_env(BENCH_PATCHES=patches, CAREEROPS_MAX_ACTIVE_JOBS="0")
        )
        try:
            assert api.url is not None
            token = await register(api.url)
            parts = Decomposition(env, api, token, await user_id_of(env.database_url, token))
            address = urlsplit(api.url)
            assert address.hostname is not None and address.port is not None
            socket = await connect_graphql(address.hostname, address.port, token)

            def pushed(op_id: str, payload: dict[str, object]) -> None:
                parts.pushes += 1

            socket.on_next = pushed
            socket.subscribe("jobs", MY_JOBS, {})
            await asyncio.sleep(0.3)
            broker = RabbitBroker(env.amqp_url, prefix=env.prefix)
            await broker.connect()
            try:
                await parts.create_jobs(IN_FLIGHT * 20)  # warm up: pools, caches
                lines = [
                    "createCoverLetter over HTTP: "
                    + await _api_cpu_ms_per(api, count, lambda: parts.create_jobs(count)),
                    "job(id) over HTTP: "
                    + await _api_cpu_ms_per(api, count, lambda: parts.poll_jobs(count)),
                ]
                for kind, what in (
                    (EventType.STATUS, "an event pushed to one myJobs socket"),
                    (EventType.DELTA, "an event no subscriber is sent"),
                ):
                    before = parts.pushes
                    cost = await _api_cpu_ms_per(
                        api, count, lambda kind=kind: parts.publish_events(broker, kind, count)
                    )
                    lines.append(f"{what}: {cost}; {parts.pushes - before} pushes")
            finally:
                await broker.disconnect()
                socket.socket.close()
                parts.close()
        finally:
            procs.stop(api)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.decompose", description=__doc__)
    parser.add_argument("--count", type=int, default=1500, help="requests and events per part")
    parser.add_argument("--patches", default="", help="bench patches in the API (bench.patches)")
    args = parser.parse_args()
    for line in asyncio.run(decompose(args.count, args.patches)):
        print(line)


if __name__ == "__main__":
    main()
