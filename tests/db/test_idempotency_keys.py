"""A new job under an idempotency key whose job is deleted and placed again beside it."""

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, cast

from core.jobs import JobKind
from db import jobs
from db.connection import Db
from tests.db.tables import add_user

KEY = "write-it-again"


class Interleaved:
    """``db``, with the next of ``between`` run after each of its ``fetch_one``: another
    request's statements, landing at a chosen point of this one's."""

    def __init__(self, db: Db, between: list[Callable[[], Awaitable[None]]]) -> None:
        self._db, self._between = db, between

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)

    async def fetch_one(self, query: str, values: Mapping[str, Any] | None = None) -> Any:
        row = await self._db.fetch_one(query, values)
        if self._between:
            await self._between.pop(0)()
        return row


async def test_a_repeat_of_a_key_whose_job_was_deleted_and_placed_again_gets_the_new_job(
    db: Db,
) -> None:
    # A user deletes a letter and double-clicks "write it again" under its key: one
    # request's INSERT meets the old job, whose row is gone when it looks the key up, and
    # its second INSERT meets the job its twin placed meanwhile. It was refused as if the
    # user had too many letters in progress (RATE_LIMITED), with one in progress.
    owner = await add_user(db, "again@example.com")
    new = jobs.NewJob(owner, JobKind.COVER_LETTER, "FORMAL", "jd", "cv", None, None, KEY)
    first = await jobs.insert_job(db, new, max_active=5)
    assert first is not None
    twin: list[jobs.JobRecord] = []

    async def delete_the_first() -> None:
        await db.execute("DELETE FROM jobs WHERE id = :id", {"id": first[0].id})

    async def the_twin_places_its_job() -> None:
        placed = await jobs.insert_job(db, new, max_active=5)
        assert placed is not None and placed[1]
        twin.append(placed[0])

    placed = await jobs.insert_job(
        cast(Db, Interleaved(db, [delete_the_first, the_twin_places_its_job])), new, max_active=5
    )

    assert placed is not None, "refused as if at the limit"
    assert placed == (twin[0], False)
    assert await db.fetch_val("SELECT COUNT(*) FROM jobs") == 1


async def test_a_key_refused_by_the_limit_is_still_refused(db: Db) -> None:
    owner = await add_user(db, "busy@example.com")
    for index in range(2):
        new = jobs.NewJob(
            owner, JobKind.COVER_LETTER, "FORMAL", "jd", "cv", None, None, f"k{index}"
        )
        assert await jobs.insert_job(db, new, max_active=2) is not None
    over = jobs.NewJob(owner, JobKind.COVER_LETTER, "FORMAL", "jd", "cv", None, None, KEY)

    assert await jobs.insert_job(db, over, max_active=2) is None
    assert await db.fetch_val("SELECT COUNT(*) FROM jobs") == 2
