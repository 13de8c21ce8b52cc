"""Which schemas this code runs on: its own revision, and a newer one during a rollout."""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest

from core.reaching import Refused
from core.settings import Settings
from db.connection import Db
from db.migrate import current_head, migrate
from db.revision import schema_behind
from tests.conftest import PG_ADMIN_URL, database_url


@pytest.fixture
async def revision(db: Db) -> AsyncIterator[Db]:
    """``db``, whose recorded revision the test may change; put back afterwards."""
    try:
        yield db
    finally:
        await db.execute("UPDATE alembic_version SET version_num = :v", {"v": current_head()})


async def set_revision(db: Db, revision: str) -> None:
    await db.execute("UPDATE alembic_version SET version_num = :v", {"v": revision})


async def test_a_database_at_this_codes_revision_is_ready(revision: Db) -> None:
    assert await schema_behind(revision) is None


async def test_a_database_an_older_revision_behind_asks_for_the_migration(revision: Db) -> None:
    await set_revision(revision, "0001")

    assert await schema_behind(revision) == (
        f"the database is at revision 0001 and this code needs {current_head()}:"
        " run `careerops migrate`"
    )


async def test_a_database_migrated_by_a_newer_release_still_runs_this_one(revision: Db) -> None:
    # a process of the release before, restarting while the next one rolls out
    await set_revision(revision, "9999_from_the_next_release")

    assert await schema_behind(revision) is None


async def test_a_database_never_migrated_asks_for_the_migration(
    settings: Settings, tmp_path: Path
) -> None:
    async with a_database(settings, tmp_path, migrated=False) as empty:
        assert await schema_behind(empty) == (
            f"the database is at revision none and this code needs {current_head()}:"
            " run `careerops migrate`"
        )


async def test_a_database_that_cannot_be_read_is_not_taken_for_one_never_migrated(
    settings: Settings, tmp_path: Path
) -> None:
    # Any error read as "no alembic_version table": a role refused the table was told to
    # run `careerops migrate`, and waited for a migration that would not help.
    async with a_database(settings, tmp_path, migrated=True, readable=False) as unreadable:
        with pytest.raises(Refused) as refused:
            await schema_behind(unreadable)

    assert str(refused.value).startswith("the database refused to tell its schema's revision (")
    assert any(
        words in str(refused.value)
        for words in ("permission denied for table alembic_version", "file is not a database")
    ), refused.value


@contextlib.asynccontextmanager
async def a_database(
    settings: Settings, tmp_path: Path, *, migrated: bool, readable: bool = True
) -> AsyncIterator[Db]:
    """A database of the test's backend: empty or migrated; ``readable=False``: on
    PostgreSQL, signed in as a role granted nothing, on SQLite, a file that is not one."""
    assert settings.database_url is not None
    if settings.database_url.startswith("sqlite"):
        path = tmp_path / "other.db"
        if not readable:
            path.write_bytes(b"not a database, " * 1024)
        elif migrated:
            await asyncio.to_thread(migrate, f"sqlite:///{path}")
        async with Db(f"sqlite:///{path}") as database:
            yield database
        return
    name = f"careerops_revision_{uuid.uuid4().hex[:8]}"
    role = f"nobody_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        await admin.execute(f'CREATE ROLE "{role}" LOGIN')
        url = database_url(name)
        if migrated:
            await asyncio.to_thread(migrate, url)
        if not readable:
            parts = urlsplit(url)
            url = parts._replace(netloc=f"{role}@{parts.hostname}:{parts.port}").geturl()
        async with Db(url) as database:
            yield database
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        await admin.close()
