"""An API and a worker started before PostgreSQL and RabbitMQ wait for them, then serve;
one that waits in vain stops with one line that says what it could not reach."""

import asyncio
import contextlib
import json
import signal
import subprocess
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import aio_pika
import pytest

from core.settings import Settings
from db.migrate import current_head, migrate
from tests.client import Api
from tests.conftest import empty_database
from tests.doors import LateDoor
from tests.processes import ROOT, api_process, command, environment, free_port, worker_process
from tests.waiting import until


@contextlib.asynccontextmanager
async def late_doors(settings: Settings) -> AsyncIterator[tuple[LateDoor, LateDoor]]:
    assert settings.database_url and settings.amqp_url
    doors = LateDoor(settings.database_url), LateDoor(settings.amqp_url)
    try:
        yield doors
    finally:
        for door in doors:
            await door.close()


def log_lines(path: Path) -> list[dict[str, str]]:
    """The whole JSON lines of a process's log so far (its last may be half written)."""
    if not path.exists():
        return []
    return [
        json.loads(line)
        for line in path.read_text().splitlines(keepends=True)
        if line.startswith("{") and line.endswith("\n")
    ]


def waiting_told(logs: list[Path], name: str) -> Callable[[], bool]:
    """Whether every log says it was refused by ``name`` (and is trying again)."""

    def told() -> bool:
        return all(
            any(" not reachable (" in message for message in waits_told(log_lines(log), name))
            for log in logs
        )

    return told


def waits_told(lines: list[dict[str, str]], name: str) -> list[str]:
    return [line["message"] for line in lines if line["message"].startswith(name)]


@dataclass(frozen=True)
class Ended:
    """A worker run to its end: its exit status, its stderr, and the ERROR lines in it."""

    returncode: int
    stderr: str
    errors: list[str]

    def stopped_with_one_line(self) -> str:
        """The one ERROR line of a worker that gave up (exit status 1, no traceback)."""
        assert self.returncode == 1, self.stderr
        assert "Traceback" not in self.stderr
        assert len(self.errors) == 1, self.errors
        return self.errors[0]


async def run_worker_to_its_end(env: dict[str, str]) -> Ended:
    finished = await asyncio.to_thread(
        subprocess.run, command("worker"), env=env, cwd=ROOT, capture_output=True, timeout=20
    )
    stderr = finished.stderr.decode()
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    errors = [line["message"] for line in lines if line["level"] == "ERROR"]
    return Ended(finished.returncode, stderr, errors)


@pytest.mark.parametrize("stack", ["production"], indirect=True)
async def test_an_api_and_a_worker_started_first_wait_for_postgres_and_rabbitmq_then_serve(
    settings: Settings, db: object, tmp_path: Path
) -> None:
    async with late_doors(settings) as (postgres, rabbitmq):
        env = environment(
            settings,
            CAREEROPS_DATABASE_URL=postgres.url,
            CAREEROPS_AMQP_URL=rabbitmq.url,
            CAREEROPS_STARTUP_WAIT_SECONDS="30",
        )

        logs = [tmp_path / "worker.log", tmp_path / "api.log"]

        async def open_doors() -> None:
            # each door once both processes said they were refused by it
            for door, name in ((postgres, "PostgreSQL"), (rabbitmq, "RabbitMQ")):
                address = f"{name} at 127.0.0.1:{door.port}"
                await until(waiting_told(logs, address), timeout=30)
                await door.open()

        opening = asyncio.create_task(open_doors())
        async with (
            worker_process(env, log=logs[0]) as worker,
            api_process(env, log=logs[1]) as api,
        ):
            await opening
            client = Api(api.url)
            token = await client.register()
            job = await client.create_job(token)
            events = await asyncio.wait_for(client.job_events(token, job["id"]), 30)
            await client.close()
            assert worker.poll() is None

    assert events[-1]["status"] == "COMPLETED"
    for log in ("worker.log", "api.log"):
        lines = log_lines(tmp_path / log)
        assert not any("Traceback" in line["message"] for line in lines), log
        for name in (
            f"PostgreSQL at 127.0.0.1:{postgres.port}",
            f"RabbitMQ at 127.0.0.1:{rabbitmq.port}",
        ):
            told = waits_told(lines, name)
            assert len(told) == 2, (log, told)
            assert "not reachable (" in told[0] and "trying again for up to 30 s" in told[0]
            assert " reached after " in told[1]


@pytest.mark.parametrize("stack", ["production"], indirect=True)
async def test_a_worker_that_waits_in_vain_stops_with_one_line_naming_what_it_missed(
    settings: Settings, db: object
) -> None:
    async with late_doors(settings) as (_, rabbitmq):  # never opened
        env = environment(
            settings, CAREEROPS_AMQP_URL=rabbitmq.url, CAREEROPS_STARTUP_WAIT_SECONDS="1.5"
        )
        ended = await run_worker_to_its_end(env)

    assert ended.stopped_with_one_line() == (
        f"RabbitMQ at 127.0.0.1:{rabbitmq.port}/ not reachable after 2 s"
        " (AMQPConnectionError: [Errno 111] Connection refused); the worker stops"
    )


@pytest.mark.parametrize("stack", ["production"], indirect=True)
async def test_an_api_that_waits_in_vain_stops_with_one_line_and_no_traceback(
    settings: Settings, db: object
) -> None:
    # After its one line came uvicorn's ERROR with the same error in sixty frames.
    async with late_doors(settings) as (postgres, _):  # never opened
        env = environment(
            settings, CAREEROPS_DATABASE_URL=postgres.url, CAREEROPS_STARTUP_WAIT_SECONDS="1"
        )
        finished = await asyncio.to_thread(
            subprocess.run,
            command("api", "--port", str(free_port())),
            env=env,
            cwd=ROOT,
            capture_output=True,
            timeout=30,
        )

    stderr = finished.stderr.decode()
    assert finished.returncode == 3, stderr
    assert "Traceback" not in stderr
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    told = [line["message"] for line in lines if line["level"] == "ERROR"]
    assert told[0].startswith(f"PostgreSQL at 127.0.0.1:{postgres.port}/"), told
    assert told[0].endswith("; the API stops"), told
    assert told[1:] == ["Application startup failed. Exiting."], "uvicorn's own line only"


@pytest.mark.parametrize("stack", ["production"], indirect=True)
async def test_sigterm_ends_the_wait_at_once(
    settings: Settings, db: object, tmp_path: Path
) -> None:
    async with late_doors(settings) as (_, rabbitmq):  # never opened
        env = environment(settings, CAREEROPS_AMQP_URL=rabbitmq.url)  # the default wait: 60 s
        logs = [tmp_path / "worker.log", tmp_path / "api.log"]
        with logs[0].open("wb") as worker_log, logs[1].open("wb") as api_log:
            processes = [
                subprocess.Popen(command("worker"), env=env, cwd=ROOT, stderr=worker_log),
                subprocess.Popen(
                    command("api", "--port", str(free_port())), env=env, cwd=ROOT, stderr=api_log
                ),
            ]
        try:
            await until(waiting_told(logs, f"RabbitMQ at 127.0.0.1:{rabbitmq.port}"), timeout=30)
            for process in processes:
                process.send_signal(signal.SIGTERM)
            codes = [await asyncio.to_thread(process.wait, 5) for process in processes]
        finally:
            for process in processes:
                if process.poll() is None:
                    process.kill()

    # the worker ends as it does on SIGTERM once running; the API as the signal's default
    assert codes == [0, -signal.SIGTERM]
    assert "worker stopped before it started" in logs[0].read_text()


@pytest.mark.parametrize("stack", ["production"], indirect=True)
async def test_a_broker_that_takes_the_connection_and_never_answers_does_not_hold_the_start(
    settings: Settings, db: object
) -> None:
    held: list[asyncio.StreamWriter] = []

    async def say_nothing(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)  # the connection stays open and silent

    port = free_port()
    silent = await asyncio.start_server(say_nothing, "127.0.0.1", port)
    try:
        env = environment(
            settings,
            CAREEROPS_AMQP_URL=f"amqp://guest:guest@127.0.0.1:{port}/",
            CAREEROPS_STARTUP_WAIT_SECONDS="2",
        )
        ended = await run_worker_to_its_end(env)
    finally:
        silent.close()
        for writer in held:
            writer.close()

    assert ended.returncode == 1
    assert held, "the worker did reach the silent port"
    assert ended.errors == [
        # its one attempt got 5 s, the least an attempt is given
        f"RabbitMQ at 127.0.0.1:{port}/ not reachable after 5 s (TimeoutError); the worker stops"
    ]


@pytest.mark.parametrize("stack", ["production"], indirect=True)
async def test_a_refused_login_ends_a_worker_at_once_with_one_line(
    settings: Settings, db: object
) -> None:
    assert settings.amqp_url
    parts = urlsplit(settings.amqp_url)
    login = f"{parts.username}:not-the-password@{parts.hostname}:{parts.port}"
    wrong_password = urlunsplit(parts._replace(netloc=login))
    env = environment(settings, CAREEROPS_AMQP_URL=wrong_password)  # the default wait: 60 s
    ended = await run_worker_to_its_end(env)

    refused = "refused the connection (ProbableAuthenticationError: ACCESS_REFUSED"
    assert refused in ended.stopped_with_one_line()


@pytest.mark.parametrize("stack", ["production"], indirect=True)
async def test_a_vhost_that_does_not_exist_ends_a_worker_at_once_with_a_line_that_says_so(
    settings: Settings, db: object
) -> None:
    # The line was aiormq's "Expected one of ['Connection.OpenOk'], got <Connection.Close
    # object at 0x7f...>", which never says what was wrong.
    assert settings.amqp_url
    parts = urlsplit(settings.amqp_url)
    missing = urlunsplit(parts._replace(path=f"/no-such-vhost-{uuid.uuid4().hex[:8]}"))
    ended = await run_worker_to_its_end(environment(settings, CAREEROPS_AMQP_URL=missing))

    assert "refused the connection (VhostRefused: it closed the connection as it opened:" in (
        ended.stopped_with_one_line()
    )


@pytest.mark.parametrize("stack", ["production"], indirect=True)
async def test_queues_made_classic_end_a_worker_asked_for_quorum_ones_with_one_line(
    settings: Settings, db: object
) -> None:
    # Turning CAREEROPS_QUORUM_QUEUES on over classic queues (README: set it before they
    # are first declared) stopped the worker with aiormq's 86-line traceback, naming no
    # setting.
    assert settings.amqp_url
    connection = await aio_pika.connect(settings.amqp_url)
    try:
        channel = await connection.channel()
        dead = await channel.declare_queue(f"{settings.amqp_prefix}jobs.dead", durable=True)
        env = environment(settings, CAREEROPS_QUORUM_QUEUES="true")
        ended = await run_worker_to_its_end(env)
        await dead.delete(if_unused=False, if_empty=False)
    finally:
        await connection.close()

    line = ended.stopped_with_one_line()
    assert "RabbitMQ refused a queue as this process declares it" in line, line
    assert "inequivalent arg 'x-queue-type'" in line, line
    assert "CAREEROPS_QUORUM_QUEUES must be as it was when the queues were made" in line, line


@pytest.mark.parametrize("stack", ["production"], indirect=True)
async def test_a_worker_on_a_database_never_migrated_stops_with_one_line_saying_what_to_run(
    settings: Settings, db: object
) -> None:
    async with empty_database() as url:
        env = environment(
            settings, CAREEROPS_DATABASE_URL=url, CAREEROPS_STARTUP_WAIT_SECONDS="1.5"
        )
        ended = await run_worker_to_its_end(env)

    assert ended.stopped_with_one_line() == (
        f"the database is at revision none and this code needs {current_head()}:"
        " run `careerops migrate`; the worker stops"
    )


@pytest.mark.parametrize("stack", ["production"], indirect=True)
async def test_an_api_and_a_worker_started_before_the_migration_wait_for_it_then_serve(
    settings: Settings, db: object, tmp_path: Path
) -> None:
    logs = [tmp_path / "worker.log", tmp_path / "api.log"]

    def told(text: str) -> Callable[[], bool]:
        return lambda: all(any(text in line["message"] for line in log_lines(log)) for log in logs)

    async with empty_database() as url:
        env = environment(settings, CAREEROPS_DATABASE_URL=url, CAREEROPS_STARTUP_WAIT_SECONDS="30")

        async def migrate_once_both_wait() -> None:
            await until(told("run `careerops migrate`; waiting for it for up to 30 s"), timeout=30)
            await asyncio.to_thread(migrate, url)

        migrating = asyncio.create_task(migrate_once_both_wait())
        async with (
            worker_process(env, log=logs[0]) as worker,
            api_process(env, log=logs[1]) as api,
        ):
            await migrating
            client = Api(api.url)
            token = await client.register()
            job = await client.create_job(token)
            done = await client.wait_for_status(token, job["id"], "COMPLETED", timeout=30)
            await client.close()
            assert worker.poll() is None

    assert done["coverLetter"]
    assert told("the database was migrated after ")()
    for log in logs:
        lines = log_lines(log)
        assert not [line for line in lines if line["level"] == "ERROR"], log
