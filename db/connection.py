"""One wrapper around ``databases`` so the rest of the code never sees a dialect."""

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Literal

from databases import Database
from databases.interfaces import Record

from core.metrics import DB_ERRORS

Dialect = Literal["postgresql", "sqlite"]
_SQLITE_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%f+00:00"


def dialect_of(url: str) -> Dialect:
    scheme = url.split(":", 1)[0].split("+", 1)[0]
    if scheme in ("postgresql", "postgres"):
        return "postgresql"
    if scheme == "sqlite":
        return "sqlite"
    raise ValueError(f"unsupported database URL scheme: {scheme!r}")


class DatabaseUnavailable(Exception):
    """The database could not be reached; the operation may succeed later."""


def _is_unavailable(error: BaseException) -> bool:
    if isinstance(error, (OSError, ConnectionError, TimeoutError)):
        return True
    module = type(error).__module__
    name = type(error).__name__
    if module.startswith("asyncpg"):
        return name in _ASYNCPG_UNAVAILABLE or "Connection" in name
    # SQLite: another process holds the write lock for longer than the timeout.
    return module == "sqlite3" and "locked" in str(error)


_ASYNCPG_UNAVAILABLE = frozenset(
    {"InterfaceError", "CannotConnectNowError", "AdminShutdownError", "TooManyConnectionsError"}
)


class Db:
    """A connected database and the codecs that make both backends look alike."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.dialect = dialect_of(url)
        options: dict[str, Any]
        if self.dialect == "postgresql":
            options = {"min_size": 1, "max_size": pool_size}
        else:
            # SQLite serialises writers; wait for the lock instead of failing at once.
            options = {"timeout": 30}
        self.database = Database(url, **options)

    async def connect(self) -> None:
        await self.database.connect()

    async def disconnect(self) -> None:
        await self.database.disconnect()

    async def fetch_one(self, sql: str, values: Mapping[str, Any] | None = None) -> Record | None:
        with _unavailable_as_error():
            return await self.database.fetch_one(sql, dict(values or {}))

    async def fetch_all(
        self, sql: str, values: Mapping[str, Any] | None = None
    ) -> Sequence[Record]:
        with _unavailable_as_error():
            return await self.database.fetch_all(sql, dict(values or {}))

    async def fetch_val(self, sql: str, values: Mapping[str, Any] | None = None) -> Any:
        with _unavailable_as_error():
            return await self.database.fetch_val(sql, dict(values or {}))

    async def execute(self, sql: str, values: Mapping[str, Any] | None = None) -> Any:
        with _unavailable_as_error():
            return await self.database.execute(sql, dict(values or {}))

    def time(self, moment: datetime) -> Any:
        """A timestamp as this backend stores it (fixed-width text on SQLite, so it sorts)."""
        if self.dialect == "sqlite":
            return moment.astimezone(UTC).strftime(_SQLITE_TIME_FORMAT)
        return moment

    async def __aenter__(self) -> "Db":
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.disconnect()


@contextmanager
def _unavailable_as_error() -> Iterator[None]:
    try:
        yield
    except Exception as e:
        if _is_unavailable(e):
            DB_ERRORS.inc()
            raise DatabaseUnavailable(f"database unavailable: {type(e).__name__}") from e
        raise


def read_time(value: Any) -> datetime:
    """A timestamp column as an aware UTC datetime, whichever backend stored it."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value))


def read_optional_time(value: Any) -> datetime | None:
    return None if value is None else read_time(value)


def utcnow() -> datetime:
    return datetime.now(UTC)
