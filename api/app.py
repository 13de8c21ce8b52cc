"""The one place that builds the app: dependencies in, Starlette out."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import TypedDict

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route, WebSocketRoute

from api.bodylimit import LimitRequestBody
from api.deleted_accounts import run_deleted_account_checks
from api.graphql import graphql_view
from api.httponly import HttpOnly
from api.quiet_jobs import run_quiet_job_checks
from api.requests import RequestIdMiddleware
from api.server import TrackWebSockets, WebSocketRegistry
from api.startup import StartupFailureTold
from api.static import web_routes
from broker.base import Broker
from broker.fanout import Hub
from core.health import health_routes
from core.metrics import ACTIVE_SUBSCRIPTIONS, OPEN_WEBSOCKETS
from core.reaching import CannotConnect
from core.services import connected
from core.settings import Settings
from core.tasks import cancel_and_wait
from core.tracing import tracing
from db import jobs
from db.connection import Db
from resolvers.limits import Limits
from worker.writers.base import Writer

log = logging.getLogger(__name__)


class State(TypedDict):
    db: Db
    broker: Broker
    hub: Hub
    settings: Settings
    limits: Limits


def create_app(
    settings: Settings,
    *,
    db: Db | None = None,
    broker: Broker | None = None,
    writer: Writer | None = None,
    embedded_worker: bool = False,
) -> Starlette:
    """The API; with ``embedded_worker`` it also runs a worker on the same db and broker."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[State]:
        async with contextlib.AsyncExitStack() as stack:
            stack.enter_context(tracing(settings, "careerops-api"))
            try:
                database, bus = await stack.enter_async_context(
                    connected(
                        settings, db=db, broker=broker, wait_seconds=settings.startup_wait_seconds
                    )
                )
            except CannotConnect as e:
                log.error("%s; the API stops", e)
                app.state.startup_failure_told = True
                raise
            relay = asyncio.create_task(hub.run(bus), name="event-relay")
            stack.push_async_callback(cancel_and_wait, relay)
            checks = asyncio.create_task(
                run_quiet_job_checks(hub, database, settings.quiet_job_check_seconds),
                name="quiet-job-checks",
            )
            stack.push_async_callback(cancel_and_wait, checks)
            accounts = asyncio.create_task(
                run_deleted_account_checks(
                    limits.connections, database, settings.account_check_seconds
                ),
                name="deleted-account checks",
            )
            stack.push_async_callback(cancel_and_wait, accounts)
            if embedded_worker:
                await _start_embedded_worker(stack, settings, database, bus, writer)
            yield State(db=database, broker=bus, hub=hub, settings=settings, limits=limits)

    hub = Hub(queue_size=settings.subscriber_queue_size)
    limits = Limits.from_settings(settings)
    graphql = graphql_view(settings)
    websockets = WebSocketRegistry()
    app = Starlette(
        routes=[
            *health_routes(),
            # Every method: the endpoint refuses all but GET and POST as a GraphQL response
            # (Starlette's own 405 for a route's other methods is plain text).
            Route("/graphql", graphql),
            WebSocketRoute("/graphql", graphql),
            *web_routes(),
        ],
        middleware=[
            Middleware(StartupFailureTold),
            Middleware(RequestIdMiddleware),
            Middleware(
                HttpOnly,
                middleware=CORSMiddleware,
                allow_origins=settings.allowed_origins,
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type", "X-Request-Id"],
                max_age=600,
            ),
            Middleware(HttpOnly, middleware=LimitRequestBody, max_bytes=settings.max_body_bytes),
            Middleware(TrackWebSockets, registry=websockets),
        ],
        lifespan=lifespan,
    )
    app.state.websockets = websockets
    app.state.hub = hub
    OPEN_WEBSOCKETS.set_function(lambda: websockets.open_count)
    ACTIVE_SUBSCRIPTIONS.set_function(lambda: hub.subscriber_count)
    return app


async def _start_embedded_worker(
    stack: contextlib.AsyncExitStack,
    settings: Settings,
    db: Db,
    broker: Broker,
    writer: Writer | None,
) -> None:
    from worker.main import worker_running

    if not broker.durable:
        # An in-process queue starts empty: every active job needs a new message.
        await jobs.forget_publications(db)
    await stack.enter_async_context(worker_running(settings, db=db, broker=broker, writer=writer))
