"""The bench's own database, queue prefix and secret, so it never meets a test run."""

import asyncio
import contextlib
import os
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aio_pika
import asyncpg

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
AMQP_URL = os.environ.get("BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")

#: queues and exchanges (under the prefix) that the service and the baselines declare
_QUEUES = ("jobs", "jobs.dead", "raw.jobs", "celery")
_EXCHANGES = ("job.events", "raw.events", "celery")


#: one bench user opens thousands of sockets and jobs: the per-user abuse limits would refuse it
ABUSE_LIMITS_OFF = {
    "CAREEROPS_MAX_CONNECTIONS_PER_USER": "1000000",
    "CAREEROPS_JOBS_PER_MINUTE": "1000000000",
    "CAREEROPS_MAX_ACTIVE_JOBS": "1000000000",
    "CAREEROPS_MAX_SUBSCRIPTIONS_PER_CONNECTION": "1000",
}


@dataclass(frozen=True)
class BenchEnv:
    name: str
    database_url: str
    amqp_url: str
    prefix: str
    secret: str

    def process_env(self, **extra: str) -> dict[str, str]:
        """The environment of a service or baseline process."""
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("CAREEROPS_", "OPENAI_", "BENCH_"))
        }
        env.update(
            CAREEROPS_DATABASE_URL=self.database_url,
            CAREEROPS_AMQP_URL=self.amqp_url,
            CAREEROPS_AMQP_PREFIX=self.prefix,
            CAREEROPS_JWT_SECRET=self.secret,
            CAREEROPS_WRITER="offline",
            CAREEROPS_WRITER_PACE_MS="0",
            PYTHONPATH=str(ROOT),
            # Scenarios without workers (B3-B5) leave jobs PENDING, and the queues are
            # deleted between scenarios: the sweep would see their messages lost and
            # publish them again, and B6's workers wrote those letters on B6's clock (its
            # wall time 9 s -> 31 s, its CPU per 1k tokens 100 -> 270).
            CAREEROPS_REPUBLISH_AFTER_SECONDS="0",
            **ABUSE_LIMITS_OFF,
        )
        env.update(extra)
        return env


def _database_url(name: str) -> str:
    return f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"


async def _admin(sql: str) -> None:
    connection = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def _migrate(url: str) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "api",
        "migrate",
        env={**os.environ, "CAREEROPS_DATABASE_URL": url, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL,  # the steps it applied: every run's are the same
    )
    if await process.wait() != 0:
        raise RuntimeError("careerops migrate failed")


#: Other users' finished letters in the bench's database before it starts, as a database in
#: service has them. PostgreSQL plans each pooled connection's prepared statements once;
#: planned on an empty table with no statistics (autovacuum analyses a table a minute at
#: the soonest), a lookup by id walked a user's whole history through ``jobs_user_newest``
#: and PostgreSQL's CPU per B1 job grew from 2 to 6 ms within a minute.
HISTORY_USERS = 2000
HISTORY_JOBS = 20000


async def _seed_history(url: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(
            "INSERT INTO users (id, email, password_hash, created_at)"
            " SELECT 'history-' || i, 'history-' || i || '@example.com', 'x', now()"
            " FROM generate_series(1, $1) i",
            HISTORY_USERS,
        )
        await connection.execute(
            "INSERT INTO jobs (id, user_id, kind, status, tone, job_description, cv_text,"
            " partial_text, cover_letter, progress, seq, attempts, available_at, published_at,"
            " created_at, updated_at, completed_at)"
            " SELECT 'history-job-' || i, 'history-' || (i % $1 + 1), 'cover_letter',"
            " 'COMPLETED', 'PROFESSIONAL', repeat('job description ', 12), repeat('cv ', 60),"
            " repeat('letter ', 120), repeat('letter ', 120), 1, 4, 1, at, at, at, at, at"
            " FROM generate_series(1, $2) i,"
            " LATERAL (SELECT now() - i * interval '1 minute') t(at)",
            HISTORY_USERS,
            HISTORY_JOBS,
        )
        # Vacuumed too: else autovacuum would come for the seeded rows in the middle of a run.
        await connection.execute("VACUUM (ANALYZE)")
    finally:
        await connection.close()


async def delete_topology(amqp_url: str, prefix: str) -> None:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        for queue in _QUEUES:
            channel = await connection.channel()
            with contextlib.suppress(aio_pika.exceptions.AMQPError):
                await channel.queue_delete(f"{prefix}{queue}")
        for exchange in _EXCHANGES:
            channel = await connection.channel()
            with contextlib.suppress(aio_pika.exceptions.AMQPError):
                await channel.exchange_delete(f"{prefix}{exchange}")


@contextlib.asynccontextmanager
async def bench_env() -> AsyncIterator[BenchEnv]:
    """A fresh, migrated database with other users' history, and a unique prefix; both
    removed on exit."""
    tag = uuid.uuid4().hex[:10]
    name = f"bench_{tag}"
    await _admin(f'CREATE DATABASE "{name}"')
    env = BenchEnv(
        name=name,
        database_url=_database_url(name),
        amqp_url=AMQP_URL,
        prefix=f"bench-{tag}.",
        secret="bench-secret-" + uuid.uuid4().hex + "x" * 8,
    )
    try:
        await _migrate(env.database_url)
        await _seed_history(env.database_url)
        yield env
    finally:
        with contextlib.suppress(Exception):
            await delete_topology(env.amqp_url, env.prefix)
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
