"""A PostgreSQL that hangs (its process stopped) is refused within the statement timeout.

asyncpg's pool waited without end for a free connection, and released a connection whose
statement timed out only once its cancel request was answered, which a frozen server never
does: with the pool's connections held so, each statement took two or three timeouts.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from db.connection import DatabaseUnavailable, Db
from tests.doors import LateDoor

pytestmark = pytest.mark.parametrize("stack", ["production"], indirect=True)

TIMEOUT = 1.0
#: a refusal later than this took more than one timeout
BOUND = TIMEOUT * 1.8


async def _refused_after(db: Db) -> float:
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(DatabaseUnavailable):
        await db.fetch_val("SELECT 1")
    return loop.time() - started


async def test_every_statement_on_a_frozen_server_is_refused_within_its_timeout(
    database_url_for_test: str,
) -> None:
    async with _pool_behind_a_door(database_url_for_test) as (door, db):
        door.freeze()

        # twice the pool's connections at once, then more while those are held
        first = asyncio.gather(*(_refused_after(db) for _ in range(4)))
        await asyncio.sleep(TIMEOUT / 2)
        later = await asyncio.gather(*(_refused_after(db) for _ in range(4)))

        waited = [*await first, *later]
        assert max(waited) < BOUND, waited

        door.thaw()
        await _until_served(lambda: _selected(db), "the pool did not serve again")


async def test_a_turn_on_a_frozen_server_is_refused_within_one_timeout(
    database_url_for_test: str,
) -> None:
    # A statement in ``one_at_a_time`` (the quota's count and INSERT of createCoverLetter)
    # timed out, then its ROLLBACK waited a whole timeout more for a server that would not
    # answer, the pooled connection held meanwhile.
    async with _pool_behind_a_door(database_url_for_test) as (door, db):

        async def count_in_turn() -> None:
            async with db.one_at_a_time("a user's quota") as turn:
                door.freeze()
                await turn.fetch_val("SELECT count(*) FROM pg_class")

        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(DatabaseUnavailable):
            await count_in_turn()
        assert loop.time() - started < BOUND
        assert await _refused_after(db) < BOUND, "its connection is not held"

        door.thaw()
        # the lock went with the connection: the next turn runs
        await _until_served(lambda: _selected_in_turn(db), "no turn after the server thawed")


@contextlib.asynccontextmanager
async def _pool_behind_a_door(database_url: str) -> AsyncIterator[tuple[LateDoor, Db]]:
    """A pool whose two connections are open, through a door that can freeze them."""
    door = LateDoor(database_url)
    await door.open()
    try:
        async with Db(door.url, pool_size=2, statement_timeout=TIMEOUT) as db:
            await asyncio.gather(_selected(db), _selected(db))
            yield door, db
    finally:
        await door.close()


async def _until_served(statement: Callable[[], Awaitable[None]], failure: str) -> None:
    for _ in range(50):
        try:
            await statement()
            return
        except DatabaseUnavailable:
            await asyncio.sleep(0.2)
    pytest.fail(failure)


async def _selected(db: Db) -> None:
    assert await db.fetch_val("SELECT 1") == 1


async def _selected_in_turn(db: Db) -> None:
    async with db.one_at_a_time("a user's quota") as turn:
        assert await turn.fetch_val("SELECT 1") == 1
