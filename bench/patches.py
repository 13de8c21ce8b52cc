"""Bench-only monkeypatches: each one is a proposed service change, measured before it is made.

``BENCH_PATCHES=orjson,parse_cache`` (comma-separated) in a service process's environment
turns them on; ``bench.service_main`` applies them before the app or worker starts.

- ``uvloop``: run the worker on uvloop (the API already is: uvicorn picks it when installed).
- ``orjson``: encode and decode ``JobEvent`` with orjson.
- ``parse_cache``: strawberry's ``ParserCache`` and ``ValidationCache`` on the schema.
- ``no_access_log``: uvicorn without its per-request access log line.
- ``no_reset``: asyncpg's pool without its reset query on every release (``SELECT
  pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL``): one round trip less per
  query; the service keeps no session state on pooled connections.
- ``asyncpg``: ``db.connection.Db`` on a plain asyncpg pool (no ``databases``/SQLAlchemy
  compile per query, no reset query); named parameters become ``$n`` once per SQL text.
"""

import os
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

KNOWN = ("uvloop", "orjson", "parse_cache", "no_access_log", "no_reset", "asyncpg")


def enabled(name: str) -> bool:
    return name in os.environ.get("BENCH_PATCHES", "").split(",")


def apply_patches() -> list[str]:
    names = [name for name in os.environ.get("BENCH_PATCHES", "").split(",") if name]
    for name in names:
        if name not in KNOWN:
            raise SystemExit(f"unknown bench patch {name!r}; known: {', '.join(KNOWN)}")
        _PATCHES.get(name, lambda: None)()
    return names


def _orjson() -> None:
    from dataclasses import asdict
    from datetime import datetime

    import orjson

    from core.events import EventType, JobEvent
    from core.jobs import JobStatus

    def to_json(self: JobEvent) -> bytes:
        return orjson.dumps(asdict(self))  # enums are str subclasses, datetimes are native

    def from_json(cls: type[JobEvent], body: bytes) -> JobEvent:
        data = orjson.loads(body)
        data["type"] = EventType(data["type"])
        data["status"] = JobStatus(data["status"])
        data["at"] = datetime.fromisoformat(data["at"])
        return cls(**data)

    JobEvent.to_json = to_json  # type: ignore[method-assign]
    JobEvent.from_json = classmethod(from_json)  # type: ignore[method-assign,assignment]


def _parse_cache() -> None:
    from strawberry.extensions import ParserCache, ValidationCache

    import api.graphql
    import schema.build as build

    original = build.build_schema

    def build_schema(settings: Any) -> Any:
        schema = original(settings)
        # Validation runs the depth/alias/token guards too: cached per query text.
        schema.extensions = [
            *schema.extensions,
            lambda: ParserCache(maxsize=256),
            lambda: ValidationCache(maxsize=256),
        ]
        return schema

    build.build_schema = build_schema
    api.graphql.build_schema = build_schema  # type: ignore[attr-defined]


def _no_access_log() -> None:
    import uvicorn

    original = uvicorn.Config.__init__

    def init(self: uvicorn.Config, *args: Any, **kwargs: Any) -> None:
        kwargs["access_log"] = False
        original(self, *args, **kwargs)

    uvicorn.Config.__init__ = init  # type: ignore[method-assign]


_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


@lru_cache(maxsize=1024)
def positional(sql: str) -> tuple[str, tuple[str, ...]]:
    """``… :id …`` → ``… $1 …`` and the names in order (each name once)."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    return _PARAM.sub(number, sql), tuple(names)


async def keep_session(connection: Any) -> None:
    """asyncpg's pool ``reset`` hook: nothing to undo, so no round trip."""


def _no_reset() -> None:
    from databases.backends.postgres import PostgresBackend

    original = PostgresBackend._get_connection_kwargs

    def kwargs(self: PostgresBackend) -> dict[str, Any]:
        return {**original(self), "reset": keep_session}

    PostgresBackend._get_connection_kwargs = kwargs  # type: ignore[method-assign]


def _asyncpg() -> None:
    import asyncpg

    from db import connection
    from db.connection import Db, _unavailable_as_error

    connect, disconnect = Db.connect, Db.disconnect

    def direct(method: str) -> Callable[..., Any]:
        original = getattr(Db, method)

        async def run(self: Db, sql: str, values: Mapping[str, Any] | None = None) -> Any:
            pool = getattr(self, "_bench_pool", None)
            if pool is None:
                return await original(self, sql, values)
            text, names = positional(sql)
            args = [(values or {})[name] for name in names]
            with _unavailable_as_error():
                return await getattr(pool, _ASYNCPG_METHOD[method])(text, *args)

        return run

    async def connect_pool(self: Db) -> None:
        if self.dialect != "postgresql":
            return await connect(self)
        self._bench_pool = await asyncpg.create_pool(
            self.url, min_size=1, max_size=10, reset=keep_session
        )  # type: ignore[attr-defined]

    async def disconnect_pool(self: Db) -> None:
        pool = getattr(self, "_bench_pool", None)
        if pool is None:
            return await disconnect(self)
        await pool.close()

    Db.connect = connect_pool  # type: ignore[method-assign]
    Db.disconnect = disconnect_pool  # type: ignore[method-assign]
    for method in _ASYNCPG_METHOD:
        setattr(Db, method, direct(method))
    assert connection.Db is Db


_ASYNCPG_METHOD = {
    "fetch_one": "fetchrow",
    "fetch_all": "fetch",
    "fetch_val": "fetchval",
    "execute": "execute",
}

_PATCHES: dict[str, Callable[[], None]] = {
    "orjson": _orjson,
    "parse_cache": _parse_cache,
    "no_access_log": _no_access_log,
    "no_reset": _no_reset,
    "asyncpg": _asyncpg,
}
