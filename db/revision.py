"""Whether this code can run on the database's schema, and waiting at start until it can.

A worker started on a database nobody migrated used to start anyway and log its sweep's
ERROR every few seconds; an API answered INTERNAL to every request. Started beside
``careerops migrate`` (a deploy, a compose stack), a process now waits for the migration
as it waits for PostgreSQL itself, then gives up with one line that says what to run.
"""

import asyncio
import functools
import logging
import sqlite3
import time
from collections.abc import Callable

import asyncpg

from core.outages import reason
from core.reaching import CannotConnect, Refused
from db.connection import Db
from db.migrate import current_head, known_revisions

log = logging.getLogger(__name__)


class NotMigrated(CannotConnect):
    """The database's schema is older than this code (or was never created)."""


@functools.cache
def _head() -> str:
    return current_head()


async def schema_behind(db: Db) -> str | None:
    """Why this code cannot run on ``db``'s schema yet; None when it can.

    A revision this code does not know is newer than it: a process of the release before
    restarting while the next one is rolled out, which the migrations keep working.
    """
    try:
        revision = await db.fetch_val("SELECT version_num FROM alembic_version")
    except (asyncpg.UndefinedTableError, sqlite3.OperationalError) as e:
        if isinstance(e, sqlite3.OperationalError) and "no such table" not in str(e):
            raise _refused(e) from e
        revision = None  # no alembic_version table: never migrated
    except (asyncpg.PostgresError, sqlite3.DatabaseError) as e:
        # "run `careerops migrate`" was the advice for any error, a role refused the table
        # or a file that is no database too, and the process waited for it in vain
        raise _refused(e) from e
    if revision == _head() or (revision is not None and revision not in known_revisions()):
        return None
    return (
        f"the database is at revision {revision or 'none'} and this code needs {_head()}:"
        " run `careerops migrate`"
    )


def _refused(error: Exception) -> Refused:
    return Refused(f"the database refused to tell its schema's revision ({reason(error)})")


async def wait_for_schema(
    db: Db, *, within: float, clock: Callable[[], float] = time.monotonic
) -> None:
    """Return once the schema is migrated; ``NotMigrated`` if it is not within ``within`` s."""
    started = clock()
    waiting = False
    while (behind := await schema_behind(db)) is not None:
        waited = clock() - started
        if waited >= within:
            raise NotMigrated(behind)
        if not waiting:
            waiting = True
            log.warning("%s; waiting for it for up to %.0f s", behind, within)
        await asyncio.sleep(min(1.0, within - waited))
    if waiting:
        log.warning("the database was migrated after %.1f s", clock() - started)
