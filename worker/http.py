"""The worker's small HTTP server: /healthz, /readyz and /metrics for orchestrators."""

import contextlib
import logging
from collections.abc import AsyncIterator, Iterator

import uvicorn
from starlette.applications import Starlette

from api.health import health_routes
from broker.base import Broker
from db.connection import Db

log = logging.getLogger(__name__)


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


async def serve_health(db: Db, broker: Broker, *, host: str, port: int) -> None:
    """Serve until cancelled; a port already taken is logged, not fatal for the worker."""
    config = uvicorn.Config(
        health_app(db, broker), host=host, port=port, log_level="warning", lifespan="on"
    )
    server = _QuietServer(config)
    try:
        await server.serve()
    except SystemExit:
        log.warning("worker health server could not listen on %s:%d", host, port)
    finally:
        server.should_exit = True
