import asyncio

from alembic import context
from sqlalchemy import pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

config = context.config


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=None, render_as_batch=True)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Serialises concurrent `careerops migrate` runs; released at commit.
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": config.attributes["lock_key"]}
            )
        context.run_migrations()


async def _main() -> None:
    engine = create_async_engine(config.attributes["database_url"], poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


asyncio.run(_main())
