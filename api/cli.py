"""``careerops``: run the service, migrate the database, export the schema.

careerops dev [--host H] [--port P]     API + worker on SQLite and the in-memory broker
careerops api [--host H] [--port P]     the API process (Postgres + RabbitMQ)
careerops worker [--concurrency N]      a worker process (Postgres + RabbitMQ)
careerops migrate                       create or upgrade the database schema
careerops export-schema [--output F]    print the GraphQL SDL
careerops status                        queue depths, jobs by status, oldest PENDING age
careerops requeue-dead                  run dead-lettered jobs again (after an outage)
"""

import argparse
import asyncio
import ipaddress
import logging
import os
import signal
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from api.webbuild import ensure_web_built
from core.listening import CannotListen, listening_socket
from core.logs import configure_logging
from core.outages import reason
from core.reaching import CannotConnect
from core.settings import DEV_JWT_SECRET, MAX_PORT, Settings, SettingsError

if TYPE_CHECKING:
    from db.migrate import Migration


def _whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        # argparse would name the function: "invalid _port value: 'abc'"
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


def _port(text: str) -> int:
    port = _whole_number(text)
    if not 0 <= port <= MAX_PORT:
        raise argparse.ArgumentTypeError(f"a port is 0 to {MAX_PORT}, not {port}")
    return port


def _at_least_one(text: str) -> int:
    number = _whole_number(text)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {number}")
    return number


def _address(settings: Settings, args: argparse.Namespace) -> Settings:
    """``settings`` with the host and port given on the command line (``--port 0`` too)."""
    port = settings.port if args.port is None else args.port
    return replace(settings, host=args.host or settings.host, port=port)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="careerops", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (("dev", "API + worker, embedded default"), ("api", "the API process")):
        command = commands.add_parser(name, help=text)
        command.add_argument("--host", default=None)
        command.add_argument("--port", type=_port, default=None)
    worker = commands.add_parser("worker", help="a worker process")
    worker.add_argument("--concurrency", type=_at_least_one, default=None)
    commands.add_parser("migrate", help="create or upgrade the database schema")
    commands.add_parser("status", help="queue depths, jobs by status, oldest PENDING age")
    commands.add_parser("requeue-dead", help="run dead-lettered jobs again (after an outage)")
    export = commands.add_parser("export-schema", help="print the GraphQL SDL")
    export.add_argument("--output", type=Path, default=None)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env(os.environ)
        return _COMMANDS[args.command](settings, args)
    except SettingsError as e:
        print(f"careerops: {e}", file=sys.stderr)
        return 2
    except CannotConnect as e:  # an operator's command does not wait: it says so and ends
        print(f"careerops: {e}", file=sys.stderr)
        return 1


def _serve(settings: Settings, args: argparse.Namespace, *, dev: bool) -> int:
    import uvicorn
    from uvicorn.config import STARTUP_FAILURE

    from api.app import create_app
    from api.request_bounds import bounded_request_protocol
    from api.server import Server, tune_gc

    settings = _address(settings, args)
    configure_logging(settings)
    try:
        listener = listening_socket(settings.host, settings.port, whose="the API")
    except CannotListen as e:
        logging.getLogger("api.server").error("%s; the API stops", e)
        return STARTUP_FAILURE  # uvicorn's, as for any start that fails
    app = create_app(settings, embedded_worker=dev)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,  # uvicorn's loggers go through ours (JSON in production)
        log_level=settings.log_level.lower(),
        access_log=settings.access_log_enabled,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        http=bounded_request_protocol(settings.request_read_seconds),
        ws="websockets-sansio",
        ws_max_size=1 << 20,
        timeout_graceful_shutdown=int(settings.shutdown_grace_seconds),
    )
    tune_gc()
    Server(config, app.state.websockets).run(sockets=[listener])
    return 0


def _dev(settings: Settings, args: argparse.Namespace) -> int:
    settings = _address(settings.for_dev().require(broker=True), args)
    assert settings.database_url is not None
    host = settings.host
    if str(settings.jwt_secret) == DEV_JWT_SECRET and not _loopback(host):
        # The dev secret is in this repository: anyone who can reach the port could sign
        # a token for any user id and read their CVs.
        print(
            f"careerops dev: {host or 'every address'} is reachable from other machines, and"
            " dev signs tokens with the published dev secret; set CAREEROPS_JWT_SECRET"
            " or listen on 127.0.0.1",
            file=sys.stderr,
        )
        return 2
    if _migrated(settings.database_url) is None:
        return 1
    web_built = ensure_web_built()
    print(f"careerops dev: {_where(settings, web_built=web_built)}")
    return _serve(settings, args, dev=True)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name (or "" for every address) may be reached from anywhere


def _where(settings: Settings, *, web_built: bool) -> str:
    """The startup line's addresses: only what this server will show a browser."""
    base = f"http://{settings.host}:{settings.port}"
    if not web_built:
        return f"no web client (see above); the GraphQL API at {base}/graphql"
    if not settings.graphiql_enabled:
        return f"the web client at {base}/, the GraphQL API at {base}/graphql (no GraphiQL)"
    return f"the web client at {base}/, GraphiQL at {base}/graphql"


def _api(settings: Settings, args: argparse.Namespace) -> int:
    return _serve(settings.require(), args, dev=False)


def _worker(settings: Settings, args: argparse.Namespace) -> int:
    import uvloop

    from worker.main import run_worker

    settings = settings.require()
    if args.concurrency is not None:
        settings = replace(settings, worker_concurrency=args.concurrency).checked()
    configure_logging(settings)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await run_worker(settings, stop=stop)

    # uvloop, as uvicorn gives the API: 12% less worker CPU per job (bench/experiments.md).
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        try:
            runner.run(run())
        except (CannotConnect, CannotListen) as e:
            logging.getLogger("worker.main").error("%s; the worker stops", e)
            return 1
    return 0


def _migrated(database_url: str) -> "Migration | None":
    """What the migration did, or None once a failure is told in one line."""
    from db.migrate import migrate

    try:
        return migrate(database_url)
    except Exception as e:  # unreachable, refused, or newer than this code: one line
        first_line = reason(e).splitlines()[0]
        print(f"careerops: the migration failed ({first_line})", file=sys.stderr)
        return None


def _migrate(settings: Settings, args: argparse.Namespace) -> int:
    from db.connection import address_of
    from db.migrate import current_head

    database_url = settings.required_database_url()
    migration = _migrated(database_url)
    if migration is None:
        return 1
    for step in migration.steps:
        print(f"applied {step}")
    where = f"the database {address_of(database_url)} is at revision {migration.revision}"
    if migration.revision == current_head():
        print(f"{where}, the latest")
    else:
        print(f"{where}, a newer release's: left as it is (this release runs on it)")
    return 0


def _export_schema(settings: Settings, args: argparse.Namespace) -> int:
    from schema.build import export_sdl

    sdl = export_sdl()
    if args.output:
        try:
            args.output.write_text(sdl)
        except OSError as e:
            print(f"careerops: cannot write {args.output}: {e.strerror or e}", file=sys.stderr)
            return 1
    else:
        sys.stdout.write(sdl)
    return 0


def _status(settings: Settings, args: argparse.Namespace) -> int:
    from api.admin import status_report
    from broker import broker_from_settings
    from core.reaching import Unreachable
    from db.connection import Db
    from db.revision import wait_for_schema

    settings = settings.require(tokens=False)

    async def run() -> str:
        # The jobs by status come from PostgreSQL: a RabbitMQ outage, when they are most
        # wanted, leaves out only the queue depths.
        async with Db(settings.required_database_url(), pool_size=2) as db:
            await wait_for_schema(db, within=0)
            broker = broker_from_settings(settings)
            try:
                await broker.connect()
            except Unreachable as e:
                await broker.disconnect()
                return await status_report(db, None, broker_trouble=str(e))
            try:
                return await status_report(db, broker)
            finally:
                await broker.disconnect()

    sys.stdout.write(asyncio.run(run()))
    return 0


def _requeue_dead(settings: Settings, args: argparse.Namespace) -> int:
    from api.admin import requeue_dead
    from core.services import connected

    async def run() -> tuple[int, int]:
        async with connected(settings.require(tokens=False), pool_size=2) as (db, broker):
            return await requeue_dead(db, broker)

    requeued, kept = asyncio.run(run())
    print(f"requeued {requeued} job(s); {kept} unreadable message(s) stay dead-lettered")
    return 0


_COMMANDS = {
    "dev": _dev,
    "api": _api,
    "worker": _worker,
    "migrate": _migrate,
    "export-schema": _export_schema,
    "status": _status,
    "requeue-dead": _requeue_dead,
}
