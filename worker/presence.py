"""The worker's row in ``workers``: written every few seconds while it runs, deleted as it stops."""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable

from core.outages import Outage
from core.tasks import cancel_and_wait, error_read
from db import workers
from db.connection import DatabaseUnavailable, Db
from db.rounds import every

#: rounds between two deletions of rows left by workers killed long ago
_FORGET_EVERY_ROUNDS = 1800


class Presence:
    """This worker as the others see it: alive while its row is written."""

    def __init__(
        self, db: Db, worker_id: str, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.db, self.worker_id = db, worker_id
        self._clock = clock
        self._written_at = clock()
        self._rounds = 0
        #: a write of ``written_within``'s, which concurrent messages share
        self._writing: asyncio.Future[None] | None = None

    async def write(self) -> None:
        await workers.seen(self.db, self.worker_id)
        self._written_at = self._clock()
        self._rounds += 1
        if self._rounds % _FORGET_EVERY_ROUNDS == 0:
            await workers.forget_long_gone(self.db)

    async def written_within(self, seconds: float) -> bool:
        """Whether its row can be written within ``seconds``, for a worker that looks cut
        off: after an outage everyone saw, its rounds write it again only every few
        seconds, and until then each message was handed back as if the database hung for
        this worker alone. A write the time runs out on goes on by itself: a database that
        hangs answers no cancel either."""
        if self._writing is None or self._writing.done():
            self._writing = asyncio.ensure_future(self.write())
            self._writing.add_done_callback(error_read)  # its rounds tell an outage
        await asyncio.wait({self._writing}, timeout=seconds)
        return not self.cut_off()

    def cut_off(self) -> bool:
        """Whether its row has not been written for as long as makes the others take it for
        gone (its database hangs, for this worker only): a job it claimed now would be
        taken over as it began, and one it runs is theirs to take."""
        return self._clock() - self._written_at > workers.SILENT_AFTER_SECONDS

    @contextlib.asynccontextmanager
    async def kept(self, *, outage: Outage) -> AsyncIterator[None]:
        """Written every few seconds while inside (``write`` it once first); on the way out
        the row goes, so what the worker hands back as it stops is taken over at once, not
        once it seems to have died."""
        task = asyncio.create_task(
            every(
                workers.PRESENCE_EVERY_SECONDS,
                self.write,
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
                await workers.gone(self.db, self.worker_id)
