"""The active-jobs count behind every createCoverLetter stays cheap as the table grows."""

import pytest

from db import quotas, users
from db.connection import Db

MANY = 2000


async def _user(db: Db, email: str) -> str:
    user = await users.insert_user(db, email=email, password_hash="x")
    assert user is not None
    return user.id


async def _add_jobs(db: Db, user_id: str, count: int, *, status: str, tag: str) -> None:
    await db.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count)"
        " INSERT INTO jobs (id, user_id, kind, status, tone, job_description, cv_text,"
        " available_at, created_at, updated_at)"
        " SELECT :tag || '-' || i, :user_id, 'cover_letter', :status, 'PROFESSIONAL', 'jd', 'cv',"
        " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM n",
        {"count": count, "user_id": user_id, "status": status, "tag": tag},
    )


async def _plan(db: Db, sql: str, values: dict[str, str]) -> str:
    if db.dialect == "sqlite":
        rows = await db.fetch_all(f"EXPLAIN QUERY PLAN {sql}", values)
        return "\n".join(row["detail"] for row in rows)
    rows = await db.fetch_all(f"EXPLAIN {sql}", values)
    return "\n".join(row["QUERY PLAN"] for row in rows)


@pytest.mark.parametrize("statistics", ["stale", "fresh"])
async def test_active_jobs_are_counted_from_the_index_of_unfinished_jobs(
    db: Db, statistics: str
) -> None:
    # A heavy user (thousands of finished letters) among many busy ones.
    heavy = await _user(db, "heavy-user@example.com")
    await _add_jobs(db, heavy, MANY, status="COMPLETED", tag="done")
    await _add_jobs(db, heavy, 1, status="PENDING", tag="waiting")
    busy = await _user(db, "busy-users@example.com")
    await _add_jobs(db, busy, MANY, status="PROCESSING", tag="busy")
    if statistics == "fresh":
        await db.execute("ANALYZE")

    assert await quotas.count_active_jobs(db, heavy) == 1
    plan = await _plan(db, quotas.COUNT_ACTIVE_JOBS, {"user_id": heavy})
    assert "jobs_user_active" in plan, plan
