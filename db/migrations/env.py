import asyncio

from alembic import context
from sqlalchemy import pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from db.migrate import known_revisions

config = context.config


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=None, render_as_batch=True)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Serialises concurrent `careerops migrate` runs; released at commit.
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": config.attributes["lock_key"]}
            )
            # A step's lock on a table waits behind every transaction that reads it, and
            # every statement of the service then waits behind the step: bounded, the
            # service stalls for this long at most, and ``db.migrate`` tries again later.
            lock_timeout_ms = int(config.attributes["lock_timeout_seconds"] * 1000)
            connection.execute(text(f"SET LOCAL lock_timeout = {lock_timeout_ms}"))
        revision = context.get_context().get_current_revision()
        if revision is not None and revision not in known_revisions():
            # A newer release's schema, which this release runs on (a rollback): left as is.
            config.attributes["newer_revision"] = revision
            return
        context.run_migrations()


async def _main() -> None:
    engine = create_async_engine(config.attributes["database_url"], poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


asyncio.run(_main())
