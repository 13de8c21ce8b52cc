"""The users repository."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from db.connection import Db, Row, in_chunks, in_list, read_time, utcnow


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: str
    email: str
    password_hash: str
    created_at: datetime

    @classmethod
    def from_record(cls, record: Row) -> "UserRecord":
        return cls(
            id=record["id"],
            email=record["email"],
            password_hash=record["password_hash"],
            created_at=read_time(record["created_at"]),
        )


async def insert_user(db: Db, *, email: str, password_hash: str) -> UserRecord | None:
    """The new user, or None when the email is taken."""
    now = utcnow()
    record = await db.fetch_one(
        "INSERT INTO users (id, email, password_hash, created_at)"
        " VALUES (:id, :email, :password_hash, :created_at)"
        " ON CONFLICT (email) DO NOTHING RETURNING *",
        {
            "id": str(uuid.uuid4()),
            "email": email,
            "password_hash": password_hash,
            "created_at": db.time(now),
        },
    )
    return None if record is None else UserRecord.from_record(record)


async def get_user(db: Db, user_id: str) -> UserRecord | None:
    record = await db.fetch_one("SELECT * FROM users WHERE id = :id", {"id": user_id})
    return None if record is None else UserRecord.from_record(record)


async def existing_ids(db: Db, user_ids: Sequence[str]) -> set[str]:
    """Which of these users still exist (a statement per 500)."""
    existing: set[str] = set()
    for chunk in in_chunks(user_ids):
        placeholders, values = in_list(chunk)
        rows = await db.fetch_all(f"SELECT id FROM users WHERE id IN ({placeholders})", values)
        existing.update(row["id"] for row in rows)
    return existing


async def get_user_by_email(db: Db, email: str) -> UserRecord | None:
    record = await db.fetch_one("SELECT * FROM users WHERE email = :email", {"email": email})
    return None if record is None else UserRecord.from_record(record)
