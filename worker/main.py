"""The worker process: its own lifespan, mirroring the API's app factory."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping

from broker.base import Broker
from core.jobs import JobKind
from core.services import connected
from core.settings import Settings
from core.tasks import cancel_and_wait
from core.tracing import tracing
from db.connection import Db
from worker.consumer import Worker
from worker.deps import WorkerDeps
from worker.handlers import HANDLERS, Handler
from worker.http import HealthServer, health_socket
from worker.presence import Presence
from worker.purge import run_purger
from worker.sweep import run_sweeper
from worker.writers.base import Writer
from worker.writers.factory import writer_from_settings

log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def worker_running(
    settings: Settings,
    *,
    db: Db | None = None,
    broker: Broker | None = None,
    writer: Writer | None = None,
    handlers: Mapping[JobKind, Handler] = HANDLERS,
    sweep: bool = True,
    serve_http: bool = False,
) -> AsyncIterator[Worker]:
    """Connect what was not handed in, consume jobs, and undo it all on exit."""
    async with contextlib.AsyncExitStack() as stack:
        listener = None
        if serve_http and settings.worker_http_port:
            listener = health_socket(settings.worker_http_host, settings.worker_http_port)
            stack.callback(listener.close)
        database, bus = await stack.enter_async_context(
            connected(settings, db=db, broker=broker, wait_seconds=settings.startup_wait_seconds)
        )
        if writer is None:
            writer = writer_from_settings(settings)
            stack.push_async_callback(writer.close)
        deps = WorkerDeps(db=database, broker=bus, writer=writer, settings=settings)
        presence = Presence(database, deps.worker_id)
        worker = Worker(deps, handlers, presence=presence)
        if sweep:
            stack.push_async_callback(
                cancel_and_wait,
                asyncio.create_task(
                    run_sweeper(database, bus, settings, outage=worker.database_outage)
                ),
            )
        if sweep and settings.retention_days > 0:
            stack.push_async_callback(
                cancel_and_wait,
                asyncio.create_task(run_purger(database, settings, outage=worker.database_outage)),
            )
        if listener is not None:
            health = HealthServer(database, bus, listener)
            stack.push_async_callback(health.stop, asyncio.create_task(health.serve()))
        await presence.write()  # before its first claim names it
        await bus.consume_jobs(worker.handle, prefetch=settings.worker_concurrency)
        stack.push_async_callback(bus.stop_consuming, settings.shutdown_grace_seconds)
        # First on the way out: gone from ``workers`` before the grace, so what is handed
        # back after it is taken over at once.
        await stack.enter_async_context(presence.kept(outage=worker.database_outage))
        yield worker


async def run_worker(settings: Settings, *, stop: asyncio.Event) -> None:
    """Run until ``stop`` is set (the CLI sets it on SIGTERM/SIGINT), also while it still
    waits for PostgreSQL or RabbitMQ at start."""
    async with contextlib.AsyncExitStack() as stack:
        stack.enter_context(tracing(settings, "careerops-worker"))
        starting = asyncio.ensure_future(
            stack.enter_async_context(worker_running(settings, serve_http=True))
        )
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not starting.done():
            await cancel_and_wait(starting)  # undoes whatever it had connected
            log.info("worker stopped before it started")
            return
        starting.result()  # raises what starting raised (CannotConnect)
        jobs_at_once = settings.worker_concurrency
        log.info(
            "worker started: up to %d job%s at once, writer %s",
            jobs_at_once,
            "" if jobs_at_once == 1 else "s",
            settings.writer,
        )
        await stop.wait()
        log.info(
            "worker stopping: it takes no new jobs, and gives those running up to %.0f s",
            settings.shutdown_grace_seconds,
        )
    log.info("worker stopped")
