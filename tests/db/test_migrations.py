"""`careerops migrate` beside a running service: it never holds the service behind a
long transaction's lock, and it leaves a newer release's schema as it is (a rollback)."""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from core.settings import Settings
from db.migrate import TablesBusy, current_head, migrate
from tests.conftest import empty_database
from tests.db.test_revision import a_database, set_revision
from tests.processes import ROOT, run_careerops

#: the revision before the latest: its step to the latest alters the jobs table
BEFORE_JOBS_CHANGE = "0004"


@contextlib.asynccontextmanager
async def a_long_reader_of_jobs(url: str) -> AsyncIterator[asyncpg.Connection]:
    """A transaction that has read the jobs table and stays open (a report, a console)."""
    reader = await asyncpg.connect(url)
    try:
        await reader.execute("BEGIN; SELECT count(*) FROM jobs")
        yield reader
    finally:
        await reader.close()


async def slowest_read_while(url: str, running: "asyncio.Future[Any]") -> float:
    """The longest a read of the jobs table took, read after read, until ``running`` ends."""
    service = await asyncpg.connect(url)
    slowest = 0.0
    try:
        while not running.done():
            started = time.monotonic()
            await service.fetchval("SELECT count(*) FROM jobs")
            slowest = max(slowest, time.monotonic() - started)
            await asyncio.sleep(0.05)
    finally:
        await service.close()
    return slowest


async def test_a_migration_waiting_for_a_long_transaction_gives_way_to_the_service() -> None:
    # An outside tester held a reader of jobs open for 40 s during `careerops migrate`: its
    # ALTER TABLE waited, every statement of the service waited behind it, a new job took
    # 10.5 s and came back INTERNAL, and three running letters were restarted.
    async with empty_database() as url:
        await asyncio.to_thread(migrate, url, BEFORE_JOBS_CHANGE)
        async with a_long_reader_of_jobs(url) as reader:
            migrating = asyncio.ensure_future(
                asyncio.to_thread(migrate, url, lock_timeout_seconds=0.5, retry_pause_seconds=1.0)
            )
            reads = asyncio.ensure_future(slowest_read_while(url, migrating))
            await asyncio.sleep(4)
            assert not migrating.done(), "the migration waits while the reader holds jobs"
            await reader.execute("COMMIT")
            migration = await asyncio.wait_for(migrating, 30)
        slowest_read = await reads

    assert migration.revision == current_head()
    assert [step.split(":")[0] for step in migration.steps] == [current_head()]
    assert slowest_read < 2.0, f"a read of jobs waited {slowest_read:.1f} s behind the migration"


async def test_a_migration_that_never_gets_its_lock_gives_up_having_changed_nothing() -> None:
    async with empty_database() as url:
        await asyncio.to_thread(migrate, url, BEFORE_JOBS_CHANGE)
        async with a_long_reader_of_jobs(url):
            with pytest.raises(TablesBusy) as busy:
                await asyncio.to_thread(
                    migrate,
                    url,
                    lock_timeout_seconds=0.3,
                    retry_pause_seconds=0.5,
                    give_up_seconds=2.0,
                )
        connection = await asyncpg.connect(url)
        try:
            revision = await connection.fetchval("SELECT version_num FROM alembic_version")
            workers_table = await connection.fetchval("SELECT to_regclass('workers')")
        finally:
            await connection.close()

    assert "stayed locked by another transaction" in str(busy.value)
    assert "nothing was changed" in str(busy.value)
    assert (revision, workers_table) == (BEFORE_JOBS_CHANGE, None)


async def test_migrate_leaves_a_newer_releases_schema_as_it_is(
    settings: Settings, tmp_path: Path
) -> None:
    # A rollback: the release before runs `careerops migrate` (compose's api and worker
    # wait for it to succeed) on the schema the next release made. It failed, "Can't
    # locate revision", and so the rollback could not start.
    async with a_database(settings, tmp_path, migrated=True) as database:
        await set_revision(database, "9999_from_the_next_release")
        url = database.url
        result = run_careerops(
            "migrate",
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "CAREEROPS_DATABASE_URL": url},
        )
        revision = await database.fetch_val("SELECT version_num FROM alembic_version")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith(
        "is at revision 9999_from_the_next_release, a newer release's:"
        " left as it is (this release runs on it)"
    ), result.stdout
    assert revision == "9999_from_the_next_release"


@pytest.mark.parametrize("key", ["dbname", "database"])
async def test_a_database_named_in_the_query_is_the_one_migrated(key: str) -> None:
    # README: "the database named in the path or as ?dbname=". With ?dbname= migrate
    # failed (asyncpg knows no dbname argument), and the processes connected to libpq's
    # default database, where a migrated schema would have been served silently.
    async with empty_database() as url:
        base, _, name = url.rpartition("/")
        result = run_careerops(
            "migrate",
            env={
                "PATH": "/usr/bin:/bin",
                "PYTHONPATH": str(ROOT),
                "CAREEROPS_DATABASE_URL": f"{base}/?{key}={name}",
            },
        )
        migrated = await asyncpg.connect(url)
        try:
            revision = await migrated.fetchval("SELECT version_num FROM alembic_version")
        finally:
            await migrated.close()

    assert result.returncode == 0, result.stderr
    assert f"/{name} is at revision {current_head()}" in result.stdout, result.stdout
    assert revision == current_head()
