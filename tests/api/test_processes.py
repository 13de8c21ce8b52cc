"""Real processes: two APIs and a worker share Postgres and RabbitMQ; the CLI's contracts."""

import asyncio
import json
import socket
import subprocess
import uuid
from pathlib import Path

import pytest

from core.settings import Settings
from db.migrate import current_head
from tests.client import Api, assemble
from tests.conftest import database_url
from tests.processes import (
    ROOT,
    api_process,
    command,
    environment,
    free_port,
    run_careerops,
    stop,
    wait_healthy,
    worker_process,
)


@pytest.mark.parametrize("stack", ["production"], indirect=True)
async def test_a_subscription_on_one_api_sees_every_event_of_a_job_created_on_another(
    settings: Settings, db: object
) -> None:
    env = environment(settings, CAREEROPS_WRITER_PACE_MS="2")
    async with api_process(env) as first_api, api_process(env) as second_api:
        first, second = Api(first_api.url), Api(second_api.url)
        token = await first.register()
        job = await second.create_job(token)
        subscription = asyncio.create_task(first.job_events(token, job["id"]))
        await asyncio.sleep(0.5)
        async with worker_process(env):
            events = await asyncio.wait_for(subscription, 30)
        final = await second.job(token, job["id"])
        await first.close()
        await second.close()

    assert events[0]["type"] == "SNAPSHOT" and events[0]["status"] == "PENDING"
    assert [e["seq"] for e in events] == list(range(events[0]["seq"], events[-1]["seq"] + 1))
    assert events[-1]["status"] == "COMPLETED"
    assert final is not None and assemble(events) == final["coverLetter"]


@pytest.mark.parametrize("stack", ["production"], indirect=True)
@pytest.mark.parametrize(("asked", "logged"), [(None, False), ("true", True)])
async def test_production_logs_a_line_per_request_and_socket_only_when_asked_to(
    settings: Settings, db: object, tmp_path: Path, asked: str | None, logged: bool
) -> None:
    env = environment(settings, **({"CAREEROPS_ACCESS_LOG": asked} if asked else {}))
    log = tmp_path / "api.log"
    async with api_process(env, log=log) as api:
        client = Api(api.url)
        async with client.socket(await client.register()) as socket:
            await socket.ack()
        await client.close()

    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert any(line["logger"].startswith("uvicorn") for line in lines), "the log was captured"
    requests = [line for line in lines if line["logger"] == "uvicorn.access"]
    # a websocket's accept, open and close are its lines of the access log
    sockets = [
        line
        for line in lines
        if '"WebSocket /graphql"' in line["message"]
        or line["message"] in ("connection open", "connection closed")
    ]
    assert bool(requests) is logged
    assert bool(sockets) is logged, sockets
    if logged:
        assert any(
            '"POST /graphql HTTP/1.1" 200' in line["message"] and line.get("request_id")
            for line in requests
        )


@pytest.mark.parametrize(
    ("variable", "args"),
    [
        ("CAREEROPS_DATABASE_URL", ["api"]),
        ("CAREEROPS_AMQP_URL", ["worker"]),
        ("CAREEROPS_JWT_SECRET", ["api"]),
    ],
)
def test_production_processes_refuse_to_start_without_a_setting(
    settings: Settings, variable: str, args: list[str]
) -> None:
    env = environment(settings)
    del env[variable]
    result = run_careerops(*args, env=env)
    assert result.returncode == 2
    assert result.stderr.strip() == f"careerops: {variable} is not set"


@pytest.mark.parametrize("stack", ["embedded"], indirect=True)
async def test_careerops_dev_runs_a_job_end_to_end_on_the_embedded_default(
    settings: Settings, tmp_path: Path
) -> None:
    env = environment(
        settings,
        CAREEROPS_DATABASE_URL=f"sqlite:///{tmp_path}/dev.db",
        CAREEROPS_WRITER_PACE_MS="1",
    )
    for key in ("CAREEROPS_AMQP_URL", "CAREEROPS_JWT_SECRET"):
        del env[key]
    port = free_port()
    process = subprocess.Popen(command("dev", "--port", str(port)), env=env, cwd=ROOT)
    try:
        base_url = f"http://127.0.0.1:{port}"
        await wait_healthy(base_url, process)
        api = Api(base_url)
        token = await api.register()
        job = await api.create_job(token)
        events = await api.job_events(token, job["id"])
        graphiql = await api.http.get("/graphql", headers={"Accept": "text/html"})
        await api.close()
    finally:
        # uvicorn shuts down gracefully, then re-raises SIGTERM so the exit status tells.
        assert stop(process) in (0, -15)
    assert events[-1]["status"] == "COMPLETED" and len(assemble(events).split()) >= 250
    assert graphiql.status_code == 200 and "graphiql" in graphiql.text.lower()


@pytest.mark.parametrize("stack", ["embedded"], indirect=True)
@pytest.mark.parametrize("subcommand", ["dev", "migrate"])
def test_a_sqlite_file_in_a_missing_folder_is_refused_in_one_line(
    settings: Settings, tmp_path: Path, subcommand: str
) -> None:
    # sqlite:///a/b.db is relative: a user who meant /a/b.db got a traceback from `dev`
    missing = tmp_path / "no such folder"
    env = environment(settings, CAREEROPS_DATABASE_URL=f"sqlite:///{missing}/dev.db")

    port = ("--port", str(free_port())) if subcommand == "dev" else ()
    result = run_careerops(subcommand, *port, env=env)

    assert result.returncode == 1
    assert result.stderr.strip() == (
        "careerops: the migration failed (FileNotFoundError:"
        f" the SQLite database's folder {missing}/ does not exist)"
    )
    assert not missing.exists()


@pytest.mark.parametrize("stack", ["embedded"], indirect=True)
@pytest.mark.parametrize(("subcommand", "status"), [("worker", 1), ("api", 3)])
def test_a_process_on_a_sqlite_file_in_a_missing_folder_stops_with_one_line_naming_it(
    settings: Settings, tmp_path: Path, subcommand: str, status: int
) -> None:
    # The worker said "unable to open database file", and aiosqlite's thread added two
    # tracebacks after it.
    missing = tmp_path / "no such folder"
    env = environment(
        settings,
        CAREEROPS_DATABASE_URL=f"sqlite:///{missing}/careerops.db",
        CAREEROPS_STARTUP_WAIT_SECONDS="0",
        CAREEROPS_LOG_FORMAT="json",
    )
    port = ("--port", str(free_port())) if subcommand == "api" else ()

    result = run_careerops(subcommand, *port, env=env)

    assert result.returncode == status, result.stderr
    assert "Traceback" not in result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    errors = [line["message"] for line in lines if line["level"] == "ERROR"]
    assert f"the SQLite database's folder {missing}/ does not exist" in errors[0], errors
    assert errors[1:] == (["Application startup failed. Exiting."] if status == 3 else [])
    assert not missing.exists()


async def test_migrate_is_idempotent_and_safe_from_several_processes_at_once(
    settings: Settings, tmp_path: Path
) -> None:
    if settings.database_url and settings.database_url.startswith("postgresql"):
        import asyncpg

        from tests.conftest import PG_ADMIN_URL

        name = f"careerops_migrate_{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect(PG_ADMIN_URL)
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = database_url(name)
        named = f"127.0.0.1:5432/{name}"
    else:
        admin = None
        url = f"sqlite:///{tmp_path}/fresh.db"
        named = f"{tmp_path}/fresh.db"
    env = environment(settings, CAREEROPS_DATABASE_URL=url)
    try:
        runs = [
            subprocess.Popen(
                command("migrate"), env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True
            )
            for _ in range(3)
        ]
        outputs = [run.communicate(timeout=60)[0] for run in runs]
        assert [run.returncode for run in runs] == [0, 0, 0]
        again = run_careerops("migrate", env=env)
        assert again.returncode == 0
    finally:
        if admin is not None:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()
    head = current_head()
    applied = [line for output in outputs for line in output.splitlines() if "applied" in line]
    # Each step ran once, by whichever process took the lock first.
    revisions = sorted(path.name[:4] for path in (ROOT / "db/migrations/versions").glob("0*.py"))
    assert [line.split()[1] for line in applied] == [f"{revision}:" for revision in revisions]
    assert revisions[-1] == head
    # It names the database it changed, without the password.
    where = f"the database {named} is at revision {head}, the latest\n"
    for output in [*outputs, again.stdout]:
        assert output.endswith(where)
    assert again.stdout == where, "nothing to do"


def test_export_schema_prints_the_committed_sdl() -> None:
    result = run_careerops("export-schema")
    assert result.returncode == 0
    assert result.stdout == (ROOT / "schema.graphql").read_text()


def test_export_schema_to_a_folder_that_does_not_exist_says_so_in_one_line(
    tmp_path: Path,
) -> None:
    target = tmp_path / "missing" / "schema.graphql"
    result = run_careerops("export-schema", "--output", str(target))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr == f"careerops: cannot write {target}: No such file or directory\n"


@pytest.mark.parametrize("stack", ["production"], indirect=True)
def test_an_api_whose_port_is_taken_stops_at_once_saying_so(settings: Settings) -> None:
    # It connected to PostgreSQL and RabbitMQ first, said its startup was complete, then
    # failed to bind with a traceback-free ERROR from uvicorn and a WARNING from aiormq.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = environment(settings, CAREEROPS_LOG_FORMAT="json")
        run = run_careerops("api", "--port", str(port), env=env, timeout=30)

    lines = [json.loads(line) for line in run.stderr.splitlines()]
    assert run.returncode == 3  # uvicorn's, for a start that failed
    assert [(line["level"], line["message"]) for line in lines] == [
        (
            "ERROR",
            f"the API cannot listen on 127.0.0.1:{port} (Address already in use); the API stops",
        )
    ]
