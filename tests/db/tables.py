"""Rows and plans for the tests of what PostgreSQL and SQLite do with a big jobs table."""

from collections.abc import Mapping
from typing import Any

import asyncpg

from db import users
from db.connection import Db, positional


async def add_user(db: Db, email: str) -> str:
    user = await users.insert_user(db, email=email, password_hash="x")
    assert user is not None
    return user.id


async def add_jobs(db: Db, user_id: str, count: int, *, status: str, tag: str) -> None:
    """``count`` jobs of ``status``, named ``<tag>-1`` to ``<tag>-<count>``, due now."""
    await db.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count)"
        " INSERT INTO jobs (id, user_id, kind, status, tone, job_description, cv_text,"
        " available_at, created_at, updated_at)"
        " SELECT :tag || '-' || i, :user_id, 'cover_letter', :status, 'PROFESSIONAL', 'jd', 'cv',"
        " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM n",
        {"count": count, "user_id": user_id, "status": status, "tag": tag},
    )


async def plan(db: Db, sql: str, values: Mapping[str, Any]) -> str:
    """How the backend would run ``sql`` with ``values`` (PostgreSQL: a custom plan)."""
    if db.dialect == "sqlite":
        rows = await db.fetch_all(f"EXPLAIN QUERY PLAN {sql}", values)
        return "\n".join(row["detail"] for row in rows)
    rows = await db.fetch_all(f"EXPLAIN {sql}", values)
    return "\n".join(row["QUERY PLAN"] for row in rows)


async def plans_inside(db: Db, sql: str, values: Mapping[str, Any], *, runs: int) -> list[str]:
    """The plans PostgreSQL chose for ``sql`` and the statements of the functions it calls,
    as it ran them ``runs`` times on one connection (PL/pgSQL turns to a generic plan after five
    runs), each in a transaction rolled back: auto_explain, its notices to this client."""
    connection = await asyncpg.connect(db.url)
    notices: list[str] = []
    connection.add_log_listener(lambda _connection, message: notices.append(message.message))
    text, names = positional(sql)
    try:
        await connection.execute("LOAD 'auto_explain'")
        await connection.execute(
            "SET auto_explain.log_min_duration = 0;"
            " SET auto_explain.log_nested_statements = on;"
            " SET auto_explain.log_level = notice"
        )
        for _ in range(runs):
            transaction = connection.transaction()
            await transaction.start()
            await connection.execute(text, *(values[name] for name in names))
            await transaction.rollback()
    finally:
        await connection.close()
    return notices
