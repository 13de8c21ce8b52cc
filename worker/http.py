"""The worker's small HTTP server: /healthz, /readyz and /metrics for orchestrators."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterator

import uvicorn
from starlette.applications import Starlette

from api.health import health_routes
from broker.base import Broker
from db.connection import Db

log = logging.getLogger(__name__)

#: how long the server may take to close its connections before it is cancelled
STOP_SECONDS = 5.0


class _QuietServer(uvicorn.Server):
    # The worker owns SIGTERM (graceful shutdown); uvicorn must not take it over.
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def health_app(db: Db, broker: Broker) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, object]]:
        yield {"db": db, "broker": broker}

    return Starlette(routes=health_routes(), lifespan=lifespan)


class HealthServer:
    """/healthz, /readyz and /metrics on ``host:port`` until ``stop``."""

    def __init__(self, db: Db, broker: Broker, *, host: str, port: int) -> None:
        config = uvicorn.Config(
            health_app(db, broker),
            host=host,
            port=port,
            log_level="warning",
            lifespan="on",
            # uvicorn's lines (a port already taken) through the process's JSON log: its
            # own configuration printed them as plain text
            log_config=None,
        )
        self._server = _QuietServer(config)

    async def serve(self) -> None:
        """Serve until stopped; a port already taken is logged, not fatal for the worker."""
        try:
            await self._server.serve()
        except SystemExit:
            config = self._server.config
            log.warning("worker health server could not listen on %s:%d", config.host, config.port)

    async def stop(self, serving: "asyncio.Task[None]") -> None:
        """Shut down as uvicorn does on a signal. Cancelled instead, its lifespan task
        printed a CancelledError traceback on every SIGTERM, outside the JSON log."""
        self._server.should_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(serving), STOP_SECONDS)
        except TimeoutError:
            serving.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await serving
