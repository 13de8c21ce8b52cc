"""The chaos run: 500 jobs, workers SIGKILLed at random, RabbitMQ restarted once."""

import asyncio
import contextlib
import functools
import random
import signal
import subprocess
from collections import Counter

import pytest

from broker.base import Broker
from core.settings import Settings
from db.connection import Db
from tests.client import Api, Streams, assemble
from tests.conftest import StartApi
from tests.faults.outages import start_rabbitmq, stop_rabbitmq
from tests.processes import ROOT, command, environment, stop
from tests.waiting import until_async

JOBS = 500
WORKERS = 3
SUBSCRIPTIONS_PER_SOCKET = 100

#: every change a job's row commits, by seq. A completion that writes the attempt's last
#: text is two changes in one UPDATE (seq + 2, a DELTA and the COMPLETED event): its text
#: is logged as the first of them, so any other jump in seq still shows as a gap.
HISTORY = [
    "CREATE TABLE chaos_history (job_id TEXT, seq INT, status TEXT, attempts INT)",
    "CREATE FUNCTION chaos_log() RETURNS trigger AS $$ BEGIN"
    " IF TG_OP = 'UPDATE' AND NEW.status = 'COMPLETED' AND OLD.status = 'PROCESSING'"
    " AND NEW.seq = OLD.seq + 2 AND NEW.partial_text <> OLD.partial_text THEN"
    " INSERT INTO chaos_history VALUES (NEW.id, NEW.seq - 1, 'PROCESSING', NEW.attempts);"
    " END IF;"
    " INSERT INTO chaos_history VALUES (NEW.id, NEW.seq, NEW.status, NEW.attempts);"
    " RETURN NEW; END $$ LANGUAGE plpgsql",
    "CREATE TRIGGER chaos_log AFTER INSERT OR UPDATE OF seq ON jobs"
    " FOR EACH ROW EXECUTE FUNCTION chaos_log()",
]
FORGET_HISTORY = [
    "DROP TRIGGER IF EXISTS chaos_log ON jobs",
    "DROP FUNCTION IF EXISTS chaos_log()",
    "DROP TABLE IF EXISTS chaos_history",
]


async def run_all(db: Db, statements: list[str]) -> None:
    for statement in statements:
        await db.execute(statement)


async def record_history(db: Db) -> None:
    """Every committed change of every job, seen by a trigger: the truth about seq."""
    await run_all(db, FORGET_HISTORY)
    await run_all(db, HISTORY)


class Workers:
    def __init__(self, settings: Settings) -> None:
        # Paced so that a worker holds several jobs mid-stream when it is killed.
        self.env = environment(
            settings, CAREEROPS_WRITER_PACE_MS="8", CAREEROPS_SWEEP_INTERVAL_SECONDS="1"
        )
        self.running: list[subprocess.Popen[bytes]] = []
        self.killed = 0

    def start(self) -> None:
        self.running.append(subprocess.Popen(command("worker"), env=self.env, cwd=ROOT))

    def kill_one(self, rng: random.Random) -> None:
        victim = self.running.pop(rng.randrange(len(self.running)))
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        self.killed += 1

    def stop_all(self) -> None:
        for process in self.running:
            stop(process)


#: the share of the jobs completed at which a worker is killed and a new one started; at
#: the third, RabbitMQ restarts too. By progress, not by time: on a fast machine the jobs
#: once all finished before the third kill of a timed schedule.
KILL_AT = (0.05, 0.15, 0.30, 0.45, 0.60, 0.75)
RESTART_AT_KILL = 3


async def reached(db: Db, completed: float) -> bool:
    row = await db.fetch_one("SELECT count(*) AS n FROM jobs WHERE status = 'COMPLETED'")
    return row is not None and row["n"] >= completed


async def chaos(workers: Workers, db: Db) -> dict[str, int]:
    """A random worker SIGKILLed (and a new one started) at each share of ``KILL_AT``;
    RabbitMQ stopped for a second at the third."""
    rng = random.Random(20261129)
    restarted = 0
    for kill_number, share in enumerate(KILL_AT, start=1):
        await until_async(functools.partial(reached, db, share * JOBS), timeout=240)
        workers.kill_one(rng)
        workers.start()
        if kill_number == RESTART_AT_KILL:
            await stop_rabbitmq()
            try:
                await asyncio.sleep(1.0)
            finally:  # cancelled too: the tests after this one need RabbitMQ
                await start_rabbitmq()
            restarted += 1
        # the new worker takes jobs before the next kill, which may pick it
        await asyncio.sleep(1.0)
    return {"workers_killed": workers.killed, "rabbitmq_restarts": restarted}


@pytest.mark.slow
@pytest.mark.timeout(400)
@pytest.mark.parametrize("stack", ["production"], indirect=True)
async def test_chaos_every_job_completes_once_with_a_gapless_history(
    start_api: StartApi, settings: Settings, db: Db, broker: Broker
) -> None:
    await record_history(db)
    api: Api = await start_api()
    workers = Workers(settings)
    streams: list[Streams] = []
    chaos_task: asyncio.Task[dict[str, int]] | None = None
    try:
        token = await api.register()
        for _ in range(WORKERS):
            workers.start()
        chaos_task = asyncio.create_task(chaos(workers, db))
        job_ids = []
        async with contextlib.AsyncExitStack() as sockets:
            for first in range(0, JOBS, SUBSCRIPTIONS_PER_SOCKET):
                socket = await sockets.enter_async_context(api.socket(token))
                await socket.ack()
                streams.append(Streams(socket))
                for batch in range(first, first + SUBSCRIPTIONS_PER_SOCKET, 10):
                    created = await asyncio.gather(
                        *(
                            api.create_job(token, companyName=f"Company {n}")
                            for n in range(batch, batch + 10)
                        )
                    )
                    for job in created:
                        await streams[-1].follow(job["id"])
                        job_ids.append(job["id"])
            unfinished = [job for stream in streams for job in await stream.wait_all(timeout=240)]
            stuck = [await api.job(token, job_id) for job_id in unfinished[:5]]
            assert not unfinished, f"{len(unfinished)} subscriptions never completed: {stuck}"
            # every share of KILL_AT is passed once all jobs are done
            counts = await asyncio.wait_for(chaos_task, 10)
            for stream in streams:
                await stream.close()

        events = {job_id: e for stream in streams for job_id, e in stream.events.items()}
        errors = {job_id: e for stream in streams for job_id, e in stream.errors.items()}
        finals = {job_id: await api.job(token, job_id) for job_id in job_ids}
        history = await db.fetch_all("SELECT job_id, seq FROM chaos_history ORDER BY job_id, seq")
        dead = await broker.dead_letters()
    finally:
        if chaos_task is not None:
            chaos_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await chaos_task
        workers.stop_all()
        await run_all(db, FORGET_HISTORY)

    statuses = Counter(job["status"] for job in finals.values() if job)
    attempts = Counter(job["attempts"] for job in finals.values() if job)
    print(
        f"\nchaos: {counts}, statuses {dict(statuses)}, attempts {dict(sorted(attempts.items()))}"
    )
    assert not errors
    assert statuses == {"COMPLETED": JOBS}
    for job_id in job_ids:
        final = finals[job_id]
        assert final is not None
        assert assemble(events[job_id]) == final["coverLetter"], f"job {job_id}"
        assert events[job_id][-1]["status"] == "COMPLETED"
    seqs: dict[str, list[int]] = {}
    for row in history:
        seqs.setdefault(row["job_id"], []).append(row["seq"])
    for job_id in job_ids:
        final = finals[job_id]
        assert final is not None
        expected = list(range(0, final["seq"] + 1))
        assert seqs[job_id] == expected, f"gap or repeat in the history of {job_id}"
    assert dead == []
    assert counts == {"workers_killed": len(KILL_AT), "rabbitmq_restarts": 1}
