"""Apply the Alembic migrations; safe to run from several processes at once."""

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config

from db.connection import dialect_of

MIGRATIONS = Path(__file__).parent / "migrations"
#: Postgres advisory lock key held while migrating (any constant shared by all processes)
MIGRATION_LOCK_KEY = 0x0CA2EE20


def async_driver_url(url: str) -> str:
    """The SQLAlchemy async URL the migrations connect with (``migrations/env.py``)."""
    scheme, rest = url.split(":", 1)
    base = scheme.split("+", 1)[0]
    if base in ("postgresql", "postgres"):
        return f"postgresql+asyncpg:{rest}"
    return f"sqlite+aiosqlite:{rest}"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database_url"] = async_driver_url(url)
    config.attributes["lock_key"] = MIGRATION_LOCK_KEY
    return config


@contextmanager
def _sqlite_file_lock(url: str) -> Iterator[None]:
    # Postgres gets an advisory lock inside the migration transaction (see env.py);
    # SQLite has none, so processes sharing the file take a lock file beside it.
    path = Path(url.split(":///", 1)[1].split("?", 1)[0])
    if not path.parent.is_dir():  # sqlite:///a/b.db is relative, sqlite:////a/b.db absolute
        raise FileNotFoundError(f"the SQLite database's folder {path.parent}/ does not exist")
    with open(f"{path}.migrate.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def migrate(url: str, revision: str = "head") -> list[str]:
    """Upgrade the database at ``url`` to ``revision``; the steps it took ("0002: usage on
    jobs"), none if it was there already. Blocking: call it off the event loop."""
    config = alembic_config(url)
    with _steps_taken() as steps:
        if dialect_of(url) == "sqlite":
            with _sqlite_file_lock(url):
                command.upgrade(config, revision)
        else:
            command.upgrade(config, revision)
    return steps


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


def current_head() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config("sqlite:///:memory:")).get_current_head()
    assert head is not None
    return head
