"""A new job's INSERT against an account deleted while it runs."""

import asyncio

import asyncpg
import pytest

from core.jobs import JobKind
from db import jobs
from db.connection import Db
from tests.db.tables import add_user

pytestmark = pytest.mark.parametrize("stack", ["production"], indirect=True)


@pytest.mark.parametrize("max_active", [0, 5])
async def test_a_job_of_an_account_deleted_as_it_is_inserted_is_not_placed(
    db: Db, max_active: int
) -> None:
    # The INSERT's check sees the account; its foreign key, checked once the deletion
    # commits, does not: a refusal (the account is gone), not an error.
    owner = await add_user(db, f"leaving-{max_active}@example.com")
    new = jobs.NewJob(owner, JobKind.COVER_LETTER, "FORMAL", "jd", "cv", None, None, None)
    deleting = await asyncpg.connect(db.url)
    try:
        async with deleting.transaction():
            await deleting.execute("DELETE FROM users WHERE id = $1", owner)
            inserting = asyncio.create_task(jobs.insert_job(db, new, max_active=max_active))
            await asyncio.sleep(0.5)  # it waits for the deleted row's lock
            assert not inserting.done()
        assert await inserting is None
    finally:
        await deleting.close()
    assert await db.fetch_val("SELECT COUNT(*) FROM jobs") == 0


async def test_new_jobs_placed_together_through_two_pools_stay_within_the_limit(db: Db) -> None:
    # Two API processes: two pools, and no lock of either process's between them. Each
    # INSERT counts the owner's active jobs in the owner's turn, after the INSERT before it
    # committed; counted on the INSERT's own snapshot, up to eight of the forty were placed.
    owner = await add_user(db, "eager@example.com")
    new = jobs.NewJob(owner, JobKind.COVER_LETTER, "FORMAL", "jd", "cv", None, None, None)
    async with Db(db.url, pool_size=20) as other:
        placed = await asyncio.gather(
            *(jobs.insert_job(pool, new, max_active=3) for _ in range(20) for pool in (db, other))
        )

    assert sum(job is not None for job in placed) == 3
    assert await db.fetch_val("SELECT COUNT(*) FROM jobs") == 3
