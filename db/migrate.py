"""Apply the Alembic migrations; safe to run from several processes at once."""

import fcntl
import functools
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.exc import DBAPIError

from db.connection import dialect_of, sqlite_path

MIGRATIONS = Path(__file__).parent / "migrations"
#: Postgres advisory lock key held while migrating (any constant shared by all processes)
MIGRATION_LOCK_KEY = 0x0CA2EE20
#: how long a step waits for a table's lock before the migration gives way and tries again
LOCK_TIMEOUT_SECONDS = 5.0
#: the pause between those tries: the service's statements, queued behind a step that
#: waits for its lock, run in it
LOCK_RETRY_PAUSE_SECONDS = 10.0
#: how long the migration keeps trying before it gives up
LOCK_GIVE_UP_SECONDS = 300.0
#: PostgreSQL's lock_not_available: the lock_timeout ran out
_LOCK_NOT_AVAILABLE = "55P03"

log = logging.getLogger(__name__)


class TablesBusy(Exception):
    """A long transaction held a table the migration must change, for longer than it waits."""


@dataclass(frozen=True)
class Migration:
    #: what was applied ("0002: usage on jobs"); none if the database was there already
    steps: list[str]
    #: the database's revision now: this code's latest, or a newer release's (left as is)
    revision: str


def async_driver_url(url: str) -> str:
    """The SQLAlchemy async URL the migrations connect with (``migrations/env.py``)."""
    scheme, rest = url.split(":", 1)
    base = scheme.split("+", 1)[0]
    if base in ("postgresql", "postgres"):
        return f"postgresql+asyncpg:{rest}"
    return f"sqlite+aiosqlite:{rest}"


def alembic_config(url: str, *, lock_timeout_seconds: float = LOCK_TIMEOUT_SECONDS) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database_url"] = async_driver_url(url)
    config.attributes["lock_key"] = MIGRATION_LOCK_KEY
    config.attributes["lock_timeout_seconds"] = lock_timeout_seconds
    return config


@contextmanager
def _sqlite_file_lock(url: str) -> Iterator[None]:
    # Postgres gets an advisory lock inside the migration transaction (see env.py);
    # SQLite has none, so processes sharing the file take a lock file beside it.
    path = sqlite_path(url)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"the SQLite database's folder {path.parent}/ does not exist")
    with open(f"{path}.migrate.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def migrate(
    url: str,
    revision: str = "head",
    *,
    lock_timeout_seconds: float = LOCK_TIMEOUT_SECONDS,
    retry_pause_seconds: float = LOCK_RETRY_PAUSE_SECONDS,
    give_up_seconds: float = LOCK_GIVE_UP_SECONDS,
) -> Migration:
    """Upgrade the database at ``url`` to ``revision``. A database a newer release
    migrated is left as it is. Blocking: call it off the event loop.

    On PostgreSQL a step waits ``lock_timeout_seconds`` at most for a table's lock; then
    the whole migration is rolled back and tried again after ``retry_pause_seconds``, until
    ``give_up_seconds`` have passed (``TablesBusy``).
    """
    config = alembic_config(url, lock_timeout_seconds=lock_timeout_seconds)
    started = time.monotonic()
    while True:
        try:
            with _steps_taken() as steps:
                if dialect_of(url) == "sqlite":
                    with _sqlite_file_lock(url):
                        command.upgrade(config, revision)
                else:
                    command.upgrade(config, revision)
        except DBAPIError as e:
            if getattr(e.orig, "sqlstate", None) != _LOCK_NOT_AVAILABLE:
                raise
            waited = time.monotonic() - started
            if waited + retry_pause_seconds > give_up_seconds:
                raise TablesBusy(
                    f"a table to change stayed locked by another transaction for {waited:.0f} s"
                    " (see pg_stat_activity for a long one); nothing was changed"
                ) from e
            log.warning(
                "the migration waited %g s for a table's lock held by another transaction;"
                " rolled back, trying again in %g s",
                lock_timeout_seconds,
                retry_pause_seconds,
            )
            time.sleep(retry_pause_seconds)
            continue
        newer = config.attributes.get("newer_revision")
        return Migration(steps=steps, revision=newer or current_head())


class _Steps(logging.Handler):
    PREFIX = "Running upgrade "

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.steps: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith(self.PREFIX):
            # "Running upgrade 0001 -> 0002, usage on jobs"
            move, _, what = message.removeprefix(self.PREFIX).partition(", ")
            self.steps.append(f"{move.rpartition('->')[2].strip()}: {what}")


@contextmanager
def _steps_taken() -> Iterator[list[str]]:
    # Alembic tells each step it runs only through its log.
    logger = logging.getLogger("alembic.runtime.migration")
    handler, level = _Steps(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler.steps
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@functools.cache
def known_revisions() -> frozenset[str]:
    """Every revision of this code's migrations; one not among them is a newer release's."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config("sqlite:///:memory:"))
    return frozenset(script.revision for script in scripts.walk_revisions())


def current_head() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config("sqlite:///:memory:")).get_current_head()
    assert head is not None
    return head
