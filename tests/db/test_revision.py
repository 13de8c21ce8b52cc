"""Which schemas this code runs on: its own revision, and a newer one during a rollout."""

from collections.abc import AsyncIterator

import pytest

from db.connection import Db
from db.migrate import current_head
from db.revision import schema_behind


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
