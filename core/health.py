"""Health, readiness and metrics endpoints, served by the API and by each worker's small server.

Both apps keep ``db`` and ``broker`` in their lifespan state.
"""

import asyncio

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from broker.base import Broker
from core.metrics import BROKER_ERRORS, QUEUE_DEPTH
from db.connection import Db
from db.revision import schema_behind

#: a readiness probe must answer quickly even when a dependency hangs
CHECK_TIMEOUT_SECONDS = 2.0


async def healthz(request: Request) -> JSONResponse:
    """The process is up and serving; says nothing about its dependencies."""
    return JSONResponse({"status": "ok"})


async def _database_ready(db: Db) -> bool:
    return await schema_behind(db) is None


async def _check(probe: "asyncio.Future[bool] | asyncio.Task[bool]") -> bool:
    # Not wait_for: it waits for the probe to end once cancelled, and asyncpg's cancelled
    # query waits for a hung PostgreSQL to answer; the probe ends by its own timeout.
    done, _ = await asyncio.wait([probe], timeout=CHECK_TIMEOUT_SECONDS)
    if not done:
        probe.cancel()
        # whatever it ends with, later, is no one's to report
        probe.add_done_callback(lambda ended: ended.cancelled() or ended.exception())
        return False
    return not probe.cancelled() and probe.exception() is None and probe.result()


async def readyz(request: Request) -> JSONResponse:
    """Ready when the database is reachable and migrated and the broker takes publishes."""
    db: Db = request.state.db
    broker: Broker = request.state.broker
    checks = {
        "database": await _check(asyncio.ensure_future(_database_ready(db))),
        "broker": await _check(asyncio.ensure_future(broker.ready())),
    }
    ready = all(checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", "checks": checks},
        status_code=200 if ready else 503,
    )


async def metrics(request: Request) -> Response:
    broker: Broker = request.state.broker
    try:
        depths = await asyncio.wait_for(broker.queue_depths(), CHECK_TIMEOUT_SECONDS)
    except Exception:  # the broker is away: no depth beats the last one read, still shown
        BROKER_ERRORS.labels("queue_depths").inc()
        QUEUE_DEPTH.clear()
        depths = {}
    for queue, depth in depths.items():
        QUEUE_DEPTH.labels(queue).set(depth)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def health_routes() -> list[Route]:
    return [Route("/healthz", healthz), Route("/readyz", readyz), Route("/metrics", metrics)]
