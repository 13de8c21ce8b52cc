"""The worker's text flushes, the flushes of jobs that come together in one statement.

A worker streaming a hundred letters flushes about a thousand times a second; each was an
UPDATE and a commit of its own, most of what PostgreSQL spent on streaming. Flushes that
come while one statement is running share the next (``core.grouping``): a lone flush is
still written at once, and each row still gets one update and one ``seq`` per flush.
"""

from collections.abc import Sequence

from core.grouping import Grouped
from db import jobs
from db.connection import DatabaseUnavailable, Db
from db.jobs import Flushed, TextFlush

#: flushes in one statement at most
MAX_GROUP = 128


class TextFlushes:
    def __init__(self, db: Db) -> None:
        self._db = db
        self._grouped: Grouped[TextFlush, Flushed | None] = Grouped(
            self._append,
            max_group=MAX_GROUP,
            name="text-flushes",
            stopped=lambda: DatabaseUnavailable("the worker's text flushes stopped"),
        )

    async def append(self, flush: TextFlush) -> Flushed | None:
        """Append ``flush``; ``None`` means its attempt was cancelled or fenced out."""
        return await self._grouped(flush)

    async def _append(self, group: list[TextFlush]) -> Sequence[Flushed | Exception | None]:
        try:
            return await jobs.append_texts(self._db, group)
        except DatabaseUnavailable:
            raise
        except Exception:
            if len(group) == 1:
                raise
        # One job's flush that PostgreSQL refuses, or a deadlock with a statement over many
        # rows, must not fail the other jobs of its group: each goes alone, with its own
        # result or error.
        return [await _alone(self._db, flush) for flush in group]


async def _alone(db: Db, flush: TextFlush) -> Flushed | Exception | None:
    try:
        flushed = await jobs.append_text(db, flush)
    except DatabaseUnavailable:
        raise
    except Exception as e:
        return e
    return flushed
