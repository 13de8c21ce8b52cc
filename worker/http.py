"""The worker's small HTTP server: /healthz, /readyz and /metrics for orchestrators."""

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Iterator

import uvicorn
from starlette.applications import Starlette

from broker.base import Broker
from core.health import health_routes
from core.listening import listening_socket
from db.connection import Db

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


def health_socket(host: str, port: int) -> socket.socket:
    """The health server's port, taken before the worker takes any job."""
    return listening_socket(
        host,
        port,
        whose="the worker's health server",
        advice="give each worker on a host its own CAREEROPS_WORKER_HTTP_PORT, or 0 for none",
    )


class HealthServer:
    """/healthz, /readyz and /metrics on ``listener`` until ``stop``."""

    def __init__(self, db: Db, broker: Broker, listener: socket.socket) -> None:
        self._listener = listener
        config = uvicorn.Config(
            health_app(db, broker),
            log_level="warning",
            lifespan="on",
            # uvicorn's lines through the process's JSON log: its own configuration
            # printed them as plain text
            log_config=None,
        )
        self._server = _QuietServer(config)

    async def serve(self) -> None:
        """Serve until stopped."""
        await self._server.serve(sockets=[self._listener])

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
