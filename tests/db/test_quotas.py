"""The active-jobs count behind every createCoverLetter stays cheap as the table grows."""

import pytest

from core.jobs import JobKind
from db import jobs, quotas
from db.connection import Db
from tests.db.tables import add_jobs, add_user, plan, plans_inside

MANY = 2000


@pytest.mark.parametrize("statistics", ["stale", "fresh"])
async def test_active_jobs_are_counted_from_the_index_of_unfinished_jobs(
    db: Db, statistics: str
) -> None:
    # A heavy user (thousands of finished letters) among many busy ones.
    heavy = await add_user(db, "heavy-user@example.com")
    await add_jobs(db, heavy, MANY, status="COMPLETED", tag="done")
    await add_jobs(db, heavy, 1, status="PENDING", tag="waiting")
    busy = await add_user(db, "busy-users@example.com")
    await add_jobs(db, busy, MANY, status="PROCESSING", tag="busy")
    if statistics == "fresh":
        await db.execute("ANALYZE")

    assert await quotas.count_active_jobs(db, heavy) == 1
    query_plan = await plan(db, jobs.COUNT_ACTIVE_JOBS, {"user_id": heavy})
    assert "jobs_user_active" in query_plan, query_plan
    # The same count inside the INSERT of every new job (``jobs.insert_job``).
    new = jobs.NewJob(heavy, JobKind.COVER_LETTER, "FORMAL", "jd", "cv", None, None, None)
    insert = jobs.insert_new_job(db, 5)
    values = jobs.new_job_values(db, new, 5)
    if db.dialect == "sqlite":
        insert_plan = await plan(db, insert, values)
        assert "jobs_user_active" in insert_plan, insert_plan
        return
    # On PostgreSQL the count runs inside ``active_jobs_in_turn``: its custom plans, then
    # the generic one it keeps.
    plans = await plans_inside(db, insert, values, runs=8)
    counts = [p for p in plans if "FROM jobs WHERE user_id = owner" in p]
    assert len(counts) == 8, counts
    assert all("jobs_user_active" in count for count in counts), counts
