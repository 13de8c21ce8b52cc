"""The database and broker a process connects to, and disconnects from on the way out."""

import contextlib
from collections.abc import AsyncIterator

from broker import broker_from_settings
from broker.base import Broker
from core.settings import Settings
from db.connection import Db
from db.revision import wait_for_schema


@contextlib.asynccontextmanager
async def connected(
    settings: Settings,
    *,
    db: Db | None = None,
    broker: Broker | None = None,
    wait_seconds: float = 0.0,
    pool_size: int | None = None,
) -> AsyncIterator[tuple[Db, Broker]]:
    """``db`` and ``broker`` as handed in, or connected from the settings: trying for up to
    ``wait_seconds`` while either is not reachable, or the database not migrated (the API
    and workers wait at start; an operator's one-off command does not)."""
    async with contextlib.AsyncExitStack() as stack:
        if db is None:
            db = await stack.enter_async_context(
                Db(
                    settings.required_database_url(),
                    pool_size=pool_size or settings.db_pool_size,
                    connect_within=wait_seconds,
                )
            )
            await wait_for_schema(db, within=wait_seconds)
        if broker is None:
            broker = broker_from_settings(settings, connect_within=wait_seconds)
            # before connecting: a broker that got one connection of two is closed too
            stack.push_async_callback(broker.disconnect)
            await broker.connect()
        yield db, broker
