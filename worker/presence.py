"""The worker's row in ``workers``: written every few seconds while it runs, deleted as it stops."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

from core.outages import Outage
from core.tasks import cancel_and_wait
from db import workers
from db.connection import DatabaseUnavailable, Db
from db.rounds import every

#: rounds between two deletions of rows left by workers killed long ago
_FORGET_EVERY_ROUNDS = 1800


@contextlib.asynccontextmanager
async def present(db: Db, worker_id: str, *, outage: Outage) -> AsyncIterator[None]:
    """Say ``worker_id`` is alive while inside; on the way out its row goes, so what the
    worker hands back as it stops is taken over at once, not once it seems to have died."""
    rounds = 0

    async def one_round() -> None:
        nonlocal rounds
        await workers.seen(db, worker_id)
        rounds += 1
        if rounds % _FORGET_EVERY_ROUNDS == 0:
            await workers.forget_long_gone(db)

    task = asyncio.create_task(
        every(
            workers.PRESENCE_EVERY_SECONDS,
            one_round,
            name="presence",
            wait_first=True,
            outage=outage,
        )
    )
    try:
        yield
    finally:
        await cancel_and_wait(task)
        with contextlib.suppress(DatabaseUnavailable):  # then it goes quiet: the same, later
            await workers.gone(db, worker_id)
