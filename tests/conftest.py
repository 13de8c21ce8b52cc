"""Fixtures: real Postgres and RabbitMQ, or the embedded SQLite + memory stack; a real server."""

import asyncio
import contextlib
import os
import shutil
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg
import pytest
import uvicorn
from starlette.datastructures import Secret

from api.app import create_app
from broker.base import Broker
from broker.memory import MemoryBroker
from broker.rabbitmq import RabbitBroker
from core.settings import Settings
from db.connection import Db
from db.migrate import migrate
from tests.client import Api
from worker.consumer import Worker
from worker.main import worker_running
from worker.writers.base import Writer
from worker.writers.offline import OfflineWriter

PG_ADMIN_URL = os.environ.get("CAREEROPS_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
AMQP_URL = os.environ.get("CAREEROPS_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
TEST_SECRET = "test-secret-0f3a9c6e1b7d4285-5e2c8a1f9b3d7064"
STACKS = ["embedded", "production"]


#: tests that stop Postgres or RabbitMQ, or load every core, run with nothing beside them
#: (``scripts/test`` runs the rest two at a time first, then these one by one)
_ALONE = ("tests/faults/", "tests/ops/test_scale_out.py", "tests/test_bench_smoke.py")
_ROOT = Path(__file__).resolve().parent.parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        path = item.path.relative_to(_ROOT).as_posix()
        module = getattr(item, "module", None)
        stops_services = module is not None and any(
            getattr(value, "__module__", None) == "tests.faults.outages"
            for value in vars(module).values()
        )
        if path.startswith(_ALONE) or stops_services:
            item.add_marker(pytest.mark.alone)


def database_url(name: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{name}"


@contextlib.asynccontextmanager
async def empty_database() -> AsyncIterator[str]:
    """A database nobody has migrated yet: its URL."""
    name = f"careerops_empty_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield database_url(name)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """One fresh, migrated Postgres database for the whole run."""
    name = f"careerops_test_{uuid.uuid4().hex[:12]}"

    async def admin(sql: str) -> None:
        connection = await asyncpg.connect(PG_ADMIN_URL)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    url = database_url(name)
    migrate(url)
    yield url
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating takes longer than copying)."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(params=STACKS)
def stack(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url_for_test(
    stack: str, request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> str:
    if stack == "embedded":
        path = tmp_path / "careerops.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("pg_database")
    return url


@pytest.fixture
def settings(stack: str, database_url_for_test: str) -> Settings:
    prefix = f"test-{uuid.uuid4().hex[:10]}."
    return Settings(
        mode="production",
        database_url=database_url_for_test,
        amqp_url="memory://" if stack == "embedded" else AMQP_URL,
        amqp_prefix=prefix,
        jwt_secret=Secret(TEST_SECRET),
        writer="offline",
        writer_pace_ms=0,
        lease_seconds=30,
        sweep_interval_seconds=0.5,
        sweep_grace_seconds=1.0,
        retry_base_seconds=0.2,
        retry_max_seconds=2.0,
        # The suite creates many jobs per user, and users from one address;
        # tests/security sets these limits itself.
        jobs_per_minute=0,
        max_active_jobs=0,
        sign_ups_per_address_per_hour=0,
    )


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Db]:
    assert settings.database_url is not None
    async with Db(settings.database_url) as database:
        if database.dialect == "postgresql":
            await database.execute("TRUNCATE jobs, users, workers")
        yield database


@pytest.fixture
async def broker(settings: Settings) -> AsyncIterator[Broker]:
    bus: Broker
    if settings.amqp_url == "memory://":
        bus = MemoryBroker()
    else:
        assert settings.amqp_url is not None
        bus = RabbitBroker(
            settings.amqp_url,
            prefix=settings.amqp_prefix,
            publish_timeout=settings.publish_timeout_seconds,
        )
    await bus.connect()
    yield bus
    await bus.disconnect()
    if isinstance(bus, RabbitBroker):
        await delete_topology(settings)


async def delete_topology(settings: Settings) -> None:
    assert settings.amqp_url is not None
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        for queue in ("jobs", "jobs.dead"):
            channel = await connection.channel()
            with contextlib.suppress(aio_pika.exceptions.AMQPError):
                await channel.queue_delete(f"{settings.amqp_prefix}{queue}")
        channel = await connection.channel()
        with contextlib.suppress(aio_pika.exceptions.AMQPError):
            await channel.exchange_delete(f"{settings.amqp_prefix}job.events")


@contextlib.asynccontextmanager
async def serve(app: Any, *, send_buffer: int | None = None) -> AsyncIterator[str]:
    """Run an ASGI app under uvicorn on a free loopback port; yields its base URL.

    ``send_buffer`` pins the kernel's send buffer of every accepted connection
    (no autotuning), so tests can reach back-pressure with little data.
    """
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", ws="websockets-sansio", lifespan="on"
    )
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if send_buffer is not None:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[listener]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


StartApi = Callable[..., Awaitable[Api]]
StartWorker = Callable[..., Awaitable[Worker]]


@pytest.fixture
async def exit_stack() -> AsyncIterator[contextlib.AsyncExitStack]:
    async with contextlib.AsyncExitStack() as stack:
        yield stack


@pytest.fixture
def start_api(
    settings: Settings, db: Db, broker: Broker, exit_stack: contextlib.AsyncExitStack
) -> StartApi:
    """Start an API server (uvicorn, real HTTP and websockets) on the test's db and broker."""

    async def start(*, send_buffer: int | None = None, **overrides: Any) -> Api:
        app = create_app(replace(settings, **overrides), db=db, broker=broker)
        url = await exit_stack.enter_async_context(serve(app, send_buffer=send_buffer))
        api = Api(url, app)
        exit_stack.push_async_callback(api.close)
        return api

    return start


@pytest.fixture
def start_worker(
    settings: Settings, db: Db, broker: Broker, exit_stack: contextlib.AsyncExitStack
) -> StartWorker:
    """Start a worker on the test's db (or ``on``) and broker, with the writer given
    (offline by default)."""

    async def start(writer: Writer | None = None, on: Db | None = None, **overrides: Any) -> Worker:
        return await exit_stack.enter_async_context(
            worker_running(
                replace(settings, **overrides),
                db=on or db,
                broker=broker,
                writer=writer or OfflineWriter(pace_ms=0),
            )
        )

    return start


@pytest.fixture
async def api(start_api: StartApi, start_worker: StartWorker) -> Api:
    """An API server with one worker behind it."""
    client = await start_api()
    await start_worker()
    return client
