"""One database handle for both backends, so the rest of the code never sees a dialect.

On Postgres the statements go straight to an asyncpg pool with ``$n`` parameters
(translated once per SQL text); ``databases`` (SQLAlchemy's compile, a task-local
connection and a shielded acquire around every statement) cost a polling query as much
as asyncpg itself, and is kept for SQLite only. The pool skips its reset query on
release: no code keeps session state on a pooled connection (no LISTEN, no session-level
lock or setting), so the reset was a round trip per query for nothing.
``bench/experiments.md`` and ``bench/changes.md`` have the before and after.
"""

import asyncio
import copy
import logging
import re
import weakref
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar
from urllib.parse import urlsplit

import asyncpg
from databases import Database

from core.logs import DroppedLines
from core.metrics import DB_ERRORS
from core.reaching import Refused, reach
from core.tasks import error_read

Dialect = Literal["postgresql", "sqlite"]
T = TypeVar("T")
_SQLITE_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%f+00:00"


#: asyncpg's line, with its traceback, for each failed try to reopen the pool's floor of
#: connections while PostgreSQL is away (a second apart at first): the service tells the
#: outage itself, one line per refused request in the API, and a worker once
_POOL_FLOOR_NOISE = DroppedLines("Failed to restore the pool connection floor")


def quiet_pool_noise() -> None:
    """Install the filter on asyncpg's pool logger (once; later calls do nothing)."""
    logger = logging.getLogger("asyncpg.pool")
    if _POOL_FLOOR_NOISE not in logger.filters:
        logger.addFilter(_POOL_FLOOR_NOISE)


def dialect_of(url: str) -> Dialect:
    scheme = url.split(":", 1)[0].split("+", 1)[0]
    if scheme in ("postgresql", "postgres"):
        return "postgresql"
    if scheme == "sqlite":
        return "sqlite"
    raise ValueError(f"unsupported database URL scheme: {scheme!r}")


class Row(Protocol):
    """A result row of either backend, read by column name."""

    def __getitem__(self, key: str) -> Any: ...


#: a statement still unanswered after this is the database unavailable: a PostgreSQL that
#: hangs (a frozen host, a full disk) held every request, readiness probes included, for
#: as long as it hung. The service's statements take milliseconds.
STATEMENT_TIMEOUT_SECONDS = 10.0


class DatabaseUnavailable(Exception):
    """The database could not be reached; the operation may succeed later."""


def is_unavailable(error: BaseException) -> bool:
    if isinstance(error, (OSError, ConnectionError, TimeoutError)):
        return True
    module = type(error).__module__
    name = type(error).__name__
    if module.startswith("asyncpg"):
        return name in _ASYNCPG_UNAVAILABLE or "Connection" in name
    # SQLite: another process holds the write lock for longer than the timeout.
    return module == "sqlite3" and "locked" in str(error)


_ASYNCPG_UNAVAILABLE = frozenset(
    {
        "InterfaceError",
        "CannotConnectNowError",
        "AdminShutdownError",
        "TooManyConnectionsError",
        # asyncpg's own protocol and pool bookkeeping, confused by statements cut short
        # while PostgreSQL goes away ("another operation is in progress", "release()
        # called on a free connection holder"): the next try, on another connection, works
        "InternalClientError",
    }
)


class Db:
    """A connected database and the codecs that make both backends look alike."""

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 10,
        connect_within: float = 0.0,
        statement_timeout: float = STATEMENT_TIMEOUT_SECONDS,
    ) -> None:
        self.url = url
        self.dialect = dialect_of(url)
        self.pool_size = pool_size
        #: how long ``connect`` keeps trying while PostgreSQL is not reachable (0: one try)
        self.connect_within = connect_within
        self.statement_timeout = statement_timeout
        self._pool: asyncpg.Pool | None = None
        #: the connection statements run on inside ``one_at_a_time`` (else: the pool's)
        self._pinned: asyncpg.Connection | None = None
        # SQLite serialises writers; wait for the lock instead of failing at once.
        self._sqlite = None if self.dialect == "postgresql" else Database(url, timeout=30)
        #: releases of connections whose statement was cut short (``_on_the_pool``)
        self._releasing: set[asyncio.Future[None]] = set()
        #: ``in_turn_here``'s locks
        self._local_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    async def connect(self) -> None:
        if self._sqlite is not None:
            folder = sqlite_path(self.url).parent
            if not folder.is_dir():
                # aiosqlite said only "unable to open database file", and its thread's
                # tracebacks followed the process's one line
                raise Refused(f"the SQLite database's folder {folder}/ does not exist")
            await self._sqlite.connect()
            return
        quiet_pool_noise()
        self._pool = await reach(
            f"PostgreSQL at {address_of(self.url)}",
            lambda timeout: asyncpg.create_pool(
                _asyncpg_dsn(self.url),
                min_size=1,
                max_size=self.pool_size,
                reset=_keep_session,
                # connecting (also the pool's later connections) and each statement, each
                # bounded: TimeoutError is the database unavailable (``is_unavailable``)
                timeout=timeout,
                command_timeout=self.statement_timeout,
            ),
            within=self.connect_within,
            transient=is_unavailable,
            # a wrong password, a database that does not exist
            refusals=(asyncpg.PostgresError,),
        )

    async def disconnect(self) -> None:
        if self._sqlite is not None:
            await self._sqlite.disconnect()
        elif self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    async def fetch_one(self, sql: str, values: Mapping[str, Any] | None = None) -> Row | None:
        return await self._run("fetchrow", "fetch_one", sql, values)  # type: ignore[no-any-return]

    async def fetch_all(self, sql: str, values: Mapping[str, Any] | None = None) -> Sequence[Row]:
        return await self._run("fetch", "fetch_all", sql, values)  # type: ignore[no-any-return]

    async def fetch_val(self, sql: str, values: Mapping[str, Any] | None = None) -> Any:
        return await self._run("fetchval", "fetch_val", sql, values)

    async def execute(self, sql: str, values: Mapping[str, Any] | None = None) -> None:
        await self._run("execute", "execute", sql, values)

    async def _run(
        self, asyncpg_method: str, databases_method: str, sql: str, values: Mapping[str, Any] | None
    ) -> Any:
        """On Postgres the asyncpg ``method`` with ``$n`` parameters; on SQLite ``databases``'."""
        with _unavailable_as_error():
            if self._sqlite is not None:
                return await getattr(self._sqlite, databases_method)(sql, dict(values or {}))
            if self._pool is None:
                raise DatabaseUnavailable("database not connected")
            text, names = positional(sql)
            arguments = [(values or {})[name] for name in names]
            if self._pinned is not None:
                return await getattr(self._pinned, asyncpg_method)(text, *arguments)
            return await self._on_the_pool(self._pool, asyncpg_method, text, arguments)

    async def _on_the_pool(
        self, pool: asyncpg.Pool, method: str, text: str, arguments: list[Any]
    ) -> Any:
        """The statement on a connection of the pool, the wait for one included within the
        statement timeout: asyncpg's pool waits without end for a free connection, and one
        whose statement timed out is free only once its cancel request is answered, which a
        frozen server never does. Such a connection is released in the background, so the
        caller hears of the timeout at once and a later caller gets another connection."""
        if pool.get_idle_size():
            connection = await pool.acquire()  # at once: the statement has its whole timeout
            timeout = None
        else:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self.statement_timeout
            async with asyncio.timeout_at(deadline):
                connection = await pool.acquire()
            timeout = max(deadline - loop.time(), 0.001)
        try:
            result = await getattr(connection, method)(text, *arguments, timeout=timeout)
        except (TimeoutError, asyncio.CancelledError):
            self._release_later(pool, connection)
            raise
        except BaseException:
            await pool.release(connection)
            raise
        await pool.release(connection)
        return result

    def _release_later(self, pool: asyncpg.Pool, connection: Any) -> None:
        release = asyncio.ensure_future(pool.release(connection))
        self._releasing.add(release)
        release.add_done_callback(self._releasing.discard)
        release.add_done_callback(error_read)  # the pool terminates what it cannot reset

    @asynccontextmanager
    async def one_at_a_time(self, key: str) -> AsyncIterator["Db"]:
        """A handle whose statements run while no other caller, in any process, holds
        ``key``: a check and the write it allows (a count and an INSERT) cannot interleave
        with another's. On PostgreSQL, one transaction on one connection, under an advisory
        lock held to its commit (each statement's snapshot then sees what the caller
        before committed). On SQLite, a lock of this process's, the only one its file has.
        """
        if self._sqlite is not None:
            async with self.in_turn_here(key):
                yield self
            return
        if self._pool is None:
            raise DatabaseUnavailable("database not connected")
        with _unavailable_as_error():
            acquired = self._pool.acquire(timeout=self.statement_timeout)
            async with acquired as connection:
                pinned = copy.copy(self)
                pinned._pinned = connection
                transaction = connection.transaction()
                with _dropped_when_cut_short(connection):
                    await transaction.start()
                    try:
                        await connection.execute(_ADVISORY_LOCK, key)
                        yield pinned
                    except BaseException as e:
                        if not _cut_short(e):
                            await transaction.rollback()
                        raise
                    await transaction.commit()

    @asynccontextmanager
    async def in_turn_here(self, key: str) -> AsyncIterator[None]:
        """While no other caller in this process holds ``key`` (on SQLite, the only process
        its file has, that is ``one_at_a_time``)."""
        lock = self._local_locks.get(key)
        if lock is None:
            lock = self._local_locks[key] = asyncio.Lock()
        async with lock:
            yield

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


#: a transaction's lock on a key (a text, hashed to the lock's 64-bit number)
_ADVISORY_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))"

#: ``:name`` but not a ``::type`` cast nor a ``time:zone``-like word inside a literal
_NAMED_PARAMETER = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


@lru_cache(maxsize=1024)
def positional(sql: str) -> tuple[str, tuple[str, ...]]:
    """``… :id … :id …`` → ``… $1 … $1 …`` and the names in ``$n`` order."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    return _NAMED_PARAMETER.sub(number, sql), tuple(names)


#: values in one ``IN (…)`` at most: a statement's parameters are bounded
IN_LIST_MAX = 500


def in_chunks(values: Sequence[T]) -> Iterator[Sequence[T]]:
    """``values`` in slices of at most ``IN_LIST_MAX``, one statement's worth each."""
    for start in range(0, len(values), IN_LIST_MAX):
        yield values[start : start + IN_LIST_MAX]


def in_list(values: Sequence[object], name: str = "v") -> tuple[str, dict[str, object]]:
    """``:v0, :v1, …`` for an ``IN (…)`` of these values, and the parameters it names."""
    parameters = {f"{name}{index}": value for index, value in enumerate(values)}
    return ", ".join(f":{key}" for key in parameters), parameters


def _asyncpg_dsn(url: str) -> str:
    """``postgresql+asyncpg://…`` (SQLAlchemy's spelling) as libpq spells it."""
    scheme, rest = url.split(":", 1)
    return scheme.split("+", 1)[0] + ":" + rest


def sqlite_path(url: str) -> Path:
    """A SQLite URL's file: ``sqlite:///a/b.db`` is relative, ``sqlite:////a/b.db`` absolute."""
    return Path(url.split(":///", 1)[1].split("?", 1)[0])


def address_of(url: str) -> str:
    """Where a URL points, without its credentials, for log lines (as written: it may
    name several hosts); a SQLite URL's file."""
    if dialect_of(url) == "sqlite":
        return url.partition(":///")[2]
    parts = urlsplit(url)
    return (parts.netloc.rpartition("@")[2] or "localhost") + parts.path


async def _keep_session(connection: object) -> None:
    """asyncpg's pool ``reset`` hook: nothing to undo (see the module docstring)."""


@contextmanager
def _dropped_when_cut_short(connection: Any) -> Iterator[None]:
    """A statement cut short leaves its cancel to a server that may never answer (a frozen
    one), and the ROLLBACK after it would wait a whole statement timeout more, the pooled
    connection held all the while. The connection is closed instead: PostgreSQL rolls back
    a transaction whose connection is gone, and the pool opens a new one."""
    try:
        yield
    except BaseException as e:
        if _cut_short(e):
            connection.terminate()
        raise


def _cut_short(error: BaseException) -> bool:
    """Whether ``error`` may have left a statement running on the connection: a timeout, a
    lost server, or the task cancelled (or closed) while it waited."""
    if not isinstance(error, Exception):
        return True
    return isinstance(error, DatabaseUnavailable) or is_unavailable(error)


@contextmanager
def _unavailable_as_error() -> Iterator[None]:
    try:
        yield
    except Exception as e:
        if is_unavailable(e):
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
