"""A PostgreSQL that hangs (its process stopped) is refused within the statement timeout.

asyncpg's pool waited without end for a free connection, and released a connection whose
statement timed out only once its cancel request was answered, which a frozen server never
does: with the pool's connections held so, each statement took two or three timeouts.
"""

import asyncio

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
    door = LateDoor(database_url_for_test)
    await door.open()
    try:
        async with Db(door.url, pool_size=2, statement_timeout=TIMEOUT) as db:
            await asyncio.gather(db.fetch_val("SELECT 1"), db.fetch_val("SELECT 1"))
            door.freeze()

            # twice the pool's connections at once, then more while those are held
            first = asyncio.gather(*(_refused_after(db) for _ in range(4)))
            await asyncio.sleep(TIMEOUT / 2)
            later = await asyncio.gather(*(_refused_after(db) for _ in range(4)))

            waited = [*await first, *later]
            assert max(waited) < BOUND, waited

            door.thaw()
            for _ in range(50):  # the pool serves again once the server does
                try:
                    assert await db.fetch_val("SELECT 1") == 1
                    break
                except DatabaseUnavailable:
                    await asyncio.sleep(0.2)
            else:
                pytest.fail("the pool did not serve again")
    finally:
        await door.close()
