"""Bench-only monkeypatches: each one is a proposed service change, measured before it is made.

``BENCH_PATCHES=orjson,no_access_log`` (comma-separated) in a service process's environment
turns them on; ``bench.service_main`` applies them before the app or worker starts.

- ``orjson``: encode and decode ``JobEvent`` with orjson.
- ``no_access_log``: uvicorn without its per-request access log line.
- ``no_statement_timeout``: PostgreSQL statements with no timeout at all (asyncpg's, and
  the shared bound on the wait for a pooled connection: ``pool_unbounded``).
- ``pool_unbounded``: the pool's own ``fetchrow`` and the like, without the statement
  timeout's bound on the wait for a free connection (``db.connection.Db._on_the_pool``).
- ``user_cache``: not a change but a probe: B5 without its per-request user read.
- ``gc_report``: not a change but a probe: how long each full collection, and any
  collection over 5 ms, stopped the process.
- ``worker_gc``: the worker's collector tuned as the API's is (``api.server.tune_gc``), once
  the worker is up.
- ``gc_garbage``: not a change but a probe: every 5 s, what the cyclic collector found
  unreachable (objects of reference cycles, which reference counting cannot free), by type.
- ``marks_later``: publish marks written in the background, one UPDATE per batch
  (PostgreSQL only), instead of ``createCoverLetter`` waiting for its own.
- ``memory_report``: not a change but a probe: ``SIGUSR1`` once marks a tracemalloc
  snapshot, again writes what was allocated since, by line, to ``$BENCH_MEMORY_REPORT``
  (B4's question: what an idle subscription holds).
- ``timeline``: not a change but a probe: each process prints ``TL <monotonic s> <step>
  <task> <job>`` to stderr as a job passes its steps (request, user read, quota, insert,
  publishes, the worker's claim, each dispatch); the clock is the machine's, so one job's steps
  line up across processes, and ``python -m bench.timeline <log dir>`` gives each step's
  median from the request (the B2 breakdown in ``changes.md``).
- ``cors_on_origin``: Starlette's CORS middleware only on requests that carry an
  ``Origin`` (it wraps every response's ``send`` to add ``Vary: Origin`` otherwise).
- ``amqp_coalesce``: the frames aiormq writes to RabbitMQ in one turn of the event loop go
  out in one ``write()`` at the end of it, instead of one system call per frame; prints
  how many frames and how many writes at exit.
- ``events_direct``: event batches published through aiormq's channel with properties
  built once, instead of an aio-pika ``Message`` per publish.
- ``cprofile``: not a change but a probe: the process runs under cProfile on its thread's
  CPU time and writes its statistics to ``/tmp/careerops-cprofile-<pid>.prof`` at exit
  (workers) or on ``SIGUSR2`` (the API, which uvicorn ends without exit handlers).
- ``fences_indexable``: the old shape of a statement that names a job by id, its status and
  attempt conditions beside ``id = :id`` where an index on ``status`` (or the partial
  ``jobs_user_active``) can serve them, instead of inside ``IS TRUE`` (``db.jobs.by_id``).
- ``fillfactor_70``: ``jobs`` filled to 70% (``ALTER TABLE``, from every service process at
  start), so a flush finds room on its row's page for a heap-only update.
- ``long_way``: every subscription event through its operation's task, as before the
  short way from the hub's dispatch (``schema.express``), to measure what that buys.
- ``relaxed_marks``: the publish mark committed without waiting for its WAL flush
  (``set_config('synchronous_commit', 'off', true)`` in the statement): a mark lost to a
  database crash costs only a repeated wake-up from the sweep.
- ``view_as_is``: strawberry's ``execute_single`` without the override that answers a
  mutation over GET with 405 (a frame more per HTTP operation), to measure its cost.
- ``no_reads_probe``: not a change but a probe (it drops checks the service needs): no
  read of the user's row and no count of their active jobs before ``createCoverLetter``'s
  insert, the most that folding them into the insert could save.
- ``reads_first``: ``createCoverLetter`` reads the account and counts its active jobs
  before its INSERT, as before the INSERT checked both itself (``db.jobs.insert_job``).
- ``tail_flushed``: a buffer past ``flush_chars`` flushed at once, and the text a writer
  ends with flushed on its own before the completion, as before the completion wrote it
  (``worker.consumer: Worker._complete``).
- ``flushes_alone``: every text flush its own UPDATE and commit, as before the worker
  grouped the flushes that come together into one statement (``worker.flushes``).
- ``no_marks_probe``: not a change but a probe (a lost publish would go unnoticed): no
  publish mark after a job's message is confirmed, to see what the mark costs a job's path.
- ``no_pending_probe``: not a change but a probe (``myJobs`` readers would miss a new
  job): no ``PENDING`` event for a new job, the most that one publish for the job's
  message and its event (an exchange routing to both) could save.
- ``limit_unlocked``: a new job's INSERT without the user's advisory lock around it (one
  statement, as before the fifteenth session: concurrent requests could all find room
  under the active-jobs limit), to measure what the lock costs.
- ``insert_in_transaction``: a new job's INSERT in a transaction of its own under the
  user's advisory lock, counting inline (BEGIN, the lock, the INSERT, COMMIT), as before
  the count waited for the user's turn inside the INSERT (``active_jobs_in_turn``).
- ``no_active_limit_probe``: the active-jobs limit off (``CAREEROPS_MAX_ACTIVE_JOBS=0``):
  not a proposal, a measure of what the limit costs (the in-process turn and the count).
- ``new_jobs_in_turn``: a user's new jobs placed one request at a time within the process
  (an ``asyncio.Lock`` around the slot of the minute, the idempotency key's read and the
  INSERT), as before the eighteenth session.
- ``reads_unbounded``: HTTP requests read with no time bound (``api.request_bounds``
  arms no watchdog), as before the twenty-fifth session, to measure what it costs.
- ``ascii_json``: answers JSON-encoded with every non-ASCII character escaped, as before
  ``core.json_text``.
- ``custom_plans``: PostgreSQL plans every statement anew (``plan_cache_mode =
  force_custom_plan``) instead of reusing each connection's generic plan.

Patches that paid were moved into the service and removed from here (parse and
validation caching, asyncpg without SQLAlchemy's compile or the pool's reset query, uvloop
in the worker):
``bench/experiments.md`` keeps their before and after.
"""

import contextlib
import os
from collections.abc import Callable
from typing import Any

KNOWN = (
    "orjson",
    "no_access_log",
    "no_statement_timeout",
    "pool_unbounded",
    "gc_report",
    "user_cache",
    "worker_gc",
    "custom_plans",
    "gc_garbage",
    "marks_later",
    "memory_report",
    "timeline",
    "cors_on_origin",
    "amqp_coalesce",
    "events_direct",
    "cprofile",
    "fences_indexable",
    "fillfactor_70",
    "long_way",
    "relaxed_marks",
    "view_as_is",
    "no_reads_probe",
    "reads_first",
    "flushes_alone",
    "tail_flushed",
    "no_marks_probe",
    "no_pending_probe",
    "limit_unlocked",
    "insert_in_transaction",
    "no_active_limit_probe",
    "new_jobs_in_turn",
    "reads_unbounded",
    "ascii_json",
)


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


def _no_statement_timeout() -> None:
    """PostgreSQL statements without asyncpg's per-statement timeout (a timer each)."""
    from db import connection

    original = connection.Db.__init__

    def init(self: connection.Db, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.statement_timeout = None  # type: ignore[assignment]

    connection.Db.__init__ = init  # type: ignore[method-assign]
    _pool_unbounded()


def _pool_unbounded() -> None:
    """The pool's own ``fetchrow`` and the like, as before a statement's wait for a free
    connection shared its timeout (``Db._on_the_pool``): what that bound costs."""
    from db import connection

    async def on_the_pool(
        self: connection.Db, pool: Any, method: str, text: str, arguments: list[Any]
    ) -> Any:
        return await getattr(pool, method)(text, *arguments)

    connection.Db._on_the_pool = on_the_pool  # type: ignore[method-assign]


def _no_access_log() -> None:
    import uvicorn

    original = uvicorn.Config.__init__

    def init(self: uvicorn.Config, *args: Any, **kwargs: Any) -> None:
        kwargs["access_log"] = False
        original(self, *args, **kwargs)

    uvicorn.Config.__init__ = init  # type: ignore[method-assign]


def _gc_report() -> None:
    """Time spent in each generation's collections, printed to stderr at exit."""
    import atexit
    import gc
    import sys
    import time

    spent = [0.0, 0.0, 0.0]
    counts = [0, 0, 0]
    started = [0.0]

    def callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
            return
        generation = info["generation"]
        elapsed = time.perf_counter() - started[0]
        spent[generation] += elapsed
        counts[generation] += 1
        if generation == 2 or elapsed > 0.005:
            print(
                f"gc gen{generation} {elapsed * 1000:.0f} ms at {time.monotonic():.2f},"
                f" {len(gc.get_objects(generation))} objects left in it",
                file=sys.stderr,
            )

    def report() -> None:
        lines = ", ".join(f"gen{g}: {counts[g]} in {spent[g]:.2f} s" for g in range(3))
        print(f"gc report: {lines}", file=sys.stderr, flush=True)

    gc.callbacks.append(callback)
    atexit.register(report)


def _user_cache() -> None:
    """Not a proposal (a deleted account must be refused at once): what B5's user read costs."""
    from db import users

    original = users.get_user
    cache: dict[str, Any] = {}

    async def get_user(db: Any, user_id: str) -> Any:
        if user_id not in cache:
            cache[user_id] = await original(db, user_id)
        return cache[user_id]

    users.get_user = get_user  # type: ignore[assignment]


def _worker_gc() -> None:
    import contextlib
    from collections.abc import AsyncIterator

    from api.server import tune_gc
    from worker import main

    original = main.worker_running

    @contextlib.asynccontextmanager
    async def worker_running(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        async with original(*args, **kwargs) as worker:
            tune_gc()
            yield worker

    main.worker_running = worker_running  # type: ignore[assignment]


def _custom_plans() -> None:
    """Plans that can never go stale, at the price of planning every statement."""
    import asyncpg

    original = asyncpg.create_pool

    def create_pool(*args: Any, **kwargs: Any) -> Any:
        kwargs["server_settings"] = {"plan_cache_mode": "force_custom_plan"}
        return original(*args, **kwargs)

    asyncpg.create_pool = create_pool


def _gc_garbage() -> None:
    """Reference cycles made per request or event show here as thousands of objects."""
    import collections
    import gc
    import sys
    import threading
    import time

    gc.set_debug(gc.DEBUG_SAVEALL)

    def dump() -> None:
        while True:
            time.sleep(5)
            gc.collect()  # from another thread: it waits for the GIL, like any collection
            counts = collections.Counter(type(o).__qualname__ for o in gc.garbage)
            total = len(gc.garbage)
            gc.garbage.clear()
            print(f"garbage {total}: {counts.most_common(25)}", file=sys.stderr, flush=True)

    threading.Thread(target=dump, daemon=True).start()


def _marks_later() -> None:
    """Publish marks written in the background, one UPDATE per batch (PostgreSQL only)."""
    import asyncio

    from broker import outbox
    from broker.base import BrokerUnavailable, JobMessage

    pending: list[str] = []
    flusher: list[Any] = [None]

    async def flush(db: Any) -> None:
        while pending:
            ids = pending[:]
            pending.clear()
            await db.execute(
                "UPDATE jobs SET published_at = now() WHERE id = ANY(:ids)", {"ids": ids}
            )
        flusher[0] = None

    async def enqueue(db: Any, broker: Any, job: Any, *, delay: float = 0.0) -> bool:
        try:
            await broker.publish_job(JobMessage(job.id, job.kind), delay=delay, headers={})
        except BrokerUnavailable:
            return False
        pending.append(job.id)
        if flusher[0] is None:
            flusher[0] = asyncio.get_running_loop().create_task(flush(db))
        return True

    outbox.enqueue = enqueue  # type: ignore[assignment]
    import resolvers.mutations.create_cover_letter as create

    create.enqueue = enqueue  # type: ignore[attr-defined]


def _memory_report() -> None:
    import signal
    import tracemalloc
    from pathlib import Path

    tracemalloc.start(8)
    marked: list[tracemalloc.Snapshot] = []

    def report(signum: int, frame: object) -> None:
        snapshot = tracemalloc.take_snapshot()
        if not marked:
            marked.append(snapshot)
            return
        before = marked.pop()
        growth = snapshot.compare_to(before, "traceback")
        lines = [f"total growth {sum(s.size_diff for s in growth) / 1024:.0f} KiB", "by file:"]
        for stat in snapshot.compare_to(before, "filename")[:40]:
            lines.append(f"{stat.size_diff / 1024:9.1f} KiB {stat.count_diff:7d} {stat.traceback}")
        lines.append("by traceback:")
        for stat in growth[:60]:
            lines.append(f"{stat.size_diff / 1024:9.1f} KiB {stat.count_diff:7d} objects")
            lines.extend(f"      {line}" for line in stat.traceback.format()[-8:])
        Path(os.environ["BENCH_MEMORY_REPORT"]).write_text("\n".join(lines) + "\n")

    signal.signal(signal.SIGUSR1, report)


def _timeline() -> None:
    """Prints ``TL <monotonic s> <step> <task> <job id or ->`` to stderr as a job passes
    each step; ``python -m bench.timeline`` reads them."""
    import asyncio
    import sys
    import time

    from broker.fanout import Hub
    from broker.rabbitmq import RabbitBroker
    from db import jobs
    from worker.consumer import Worker

    def job_id_in(*values: Any) -> str:
        for value in values:
            if isinstance(value, tuple) and value:
                value = value[0]
            if isinstance(value, str) and len(value) == 36:
                return value
            for attribute in ("job_id", "id"):
                found = getattr(value, attribute, None)
                if isinstance(found, str) and len(found) == 36:
                    return found
        return "-"

    def mark(step: str, job_id: str = "-") -> None:
        # the task's id joins one request's steps to the job its INSERT returns
        task = id(asyncio.current_task())
        print(f"TL {time.monotonic():.6f} {step} {task} {job_id}", file=sys.stderr, flush=True)

    def timed(owner: Any, name: str, step: str) -> None:
        original = getattr(owner, name)

        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            mark(step + ">", job_id_in(*args, *kwargs.values()))
            result = None
            try:
                result = await original(*args, **kwargs)
                return result
            finally:
                mark(step + "<", job_id_in(result, *args))

        setattr(owner, name, wrapper)

    from api.graphql import GraphQLApp
    from api.requests import RequestIdMiddleware
    from resolvers.context import Context

    timed(RequestIdMiddleware, "__call__", "request")
    timed(GraphQLApp, "get_context", "context")
    timed(GraphQLApp, "execute_operation", "execute")
    timed(Context, "signed_in_user", "user")
    timed(jobs, "insert_job", "insert")
    timed(RabbitBroker, "publish_job", "publish_job")
    timed(RabbitBroker, "publish_event", "publish_event")
    timed(jobs, "mark_published", "mark")
    timed(Worker, "handle", "worker")
    timed(Worker, "_claim", "claim")
    dispatch = Hub.dispatch

    def dispatched(self: Hub, item: Any) -> None:
        status = getattr(item, "status", None)
        mark(f"dispatch:{getattr(status, 'value', status)}", getattr(item, "job_id", "-"))
        dispatch(self, item)

    Hub.dispatch = dispatched  # type: ignore[method-assign]


def _cors_on_origin() -> None:
    from starlette.middleware.cors import CORSMiddleware

    original = CORSMiddleware.__call__

    async def call(self: CORSMiddleware, scope: Any, receive: Any, send: Any) -> None:
        if not any(name == b"origin" for name, _ in scope["headers"]):
            await self.app(scope, receive, send)
            return
        await original(self, scope, receive, send)

    CORSMiddleware.__call__ = call  # type: ignore[method-assign]


def _amqp_coalesce() -> None:
    import asyncio
    import atexit
    import sys

    from aiormq.connection import Connection

    counts = {"frames": 0, "writes": 0}

    class CoalescingWriter:
        def __init__(self, writer: asyncio.StreamWriter) -> None:
            self._writer = writer
            self._pending: list[bytes] = []
            self._loop = asyncio.get_running_loop()

        def write(self, data: bytes) -> None:
            counts["frames"] += 1
            if not self._pending:
                self._loop.call_soon(self._flush)
            self._pending.append(data)

        def _flush(self) -> None:
            if not self._pending:
                return
            data = b"".join(self._pending)
            self._pending.clear()
            counts["writes"] += 1
            if not self._writer.transport.is_closing():
                self._writer.write(data)

        async def drain(self) -> None:
            await self._writer.drain()

        def write_eof(self) -> None:
            self._flush()
            self._writer.write_eof()

        def close(self) -> None:
            self._flush()
            self._writer.close()

        def __getattr__(self, name: str) -> Any:
            return getattr(self._writer, name)

    original = Connection._Connection__writer  # type: ignore[attr-defined]

    async def writer(self: Connection, stream: asyncio.StreamWriter) -> None:
        coalescing = CoalescingWriter(stream)
        try:
            await original(self, coalescing)
        finally:
            coalescing._flush()

    Connection._Connection__writer = writer  # type: ignore[attr-defined]
    atexit.register(
        lambda: print(
            f"amqp writes: {counts['frames']} frames in {counts['writes']} writes",
            file=sys.stderr,
            flush=True,
        )
    )


def _events_direct() -> None:
    import asyncio

    import aio_pika
    import aiormq

    from broker.rabbitmq import RabbitBroker

    properties = aio_pika.Message(b"").properties

    async def send(self: RabbitBroker, body: bytes) -> None:
        exchange = self._require(self._event_exchange)
        channel = await exchange.channel.get_underlay_channel()
        async with asyncio.timeout(self.publish_timeout):
            await channel.basic_publish(
                body, exchange=exchange.name, routing_key="", properties=properties
            )

    assert isinstance(properties, aiormq.spec.Basic.Properties)
    RabbitBroker._send_events = send  # type: ignore[method-assign]


def _cprofile() -> None:
    import atexit
    import cProfile
    import signal
    import time

    # CPU time, not wall time: on a busy machine a send that wakes the broker is
    # often preempted, and a wall-clock profile charges that wait to the send.
    profile = cProfile.Profile(time.thread_time)

    def dump(*_: object) -> None:
        profile.dump_stats(f"/tmp/careerops-cprofile-{os.getpid()}.prof")
        profile.enable()  # dumping stopped it; a later dump holds everything since the start

    profile.enable()
    atexit.register(dump)
    # uvicorn ends the API by raising SIGTERM again once it has shut down: no atexit there
    signal.signal(signal.SIGUSR2, dump)


def _fences_indexable() -> None:
    from db import jobs

    def by_id(*conditions: str) -> str:
        return " AND ".join(("id = :id", *conditions))

    jobs.by_id = by_id
    jobs._RUNNING_ATTEMPT = by_id("status = :processing", "attempts = :attempt")


def _fillfactor_70() -> None:
    import asyncio

    import asyncpg

    from db.connection import _asyncpg_dsn

    async def alter() -> None:
        connection = await asyncpg.connect(_asyncpg_dsn(os.environ["CAREEROPS_DATABASE_URL"]))
        try:
            await connection.execute("ALTER TABLE jobs SET (fillfactor = 70)")
        finally:
            await connection.close()

    asyncio.run(alter())


def _long_way() -> None:
    from api.protocols import TransportWSHandler

    TransportWSHandler._express_lane = lambda self, operation: None  # type: ignore[method-assign]


def _relaxed_marks() -> None:
    from db import jobs
    from db.connection import utcnow

    durable = jobs.mark_published

    async def mark_published(db: Any, job_id: str) -> None:
        if db.dialect != "postgresql":
            await durable(db, job_id)
            return
        await db.execute(
            "UPDATE jobs SET published_at = :now"
            " FROM (SELECT set_config('synchronous_commit', 'off', true)) AS relaxed"
            " WHERE id = :id",
            {"id": job_id, "now": db.time(utcnow())},
        )

    jobs.mark_published = mark_published


def _view_as_is() -> None:
    from strawberry.http.async_base_view import AsyncBaseHTTPView

    from api.graphql import GraphQLApp

    GraphQLApp.execute_single = AsyncBaseHTTPView.execute_single  # type: ignore[method-assign]


def _no_reads_probe() -> None:
    from datetime import UTC, datetime

    from db import quotas
    from db.users import UserRecord
    from resolvers.context import Context

    async def signed_in_user(self: Context) -> UserRecord:
        if self.user is None:
            claims = self.require_claims()
            self.user = UserRecord(claims.user_id, "", "", datetime.now(UTC))
        return self.user

    async def count_active_jobs(db: Any, user_id: str) -> int:
        return 0

    Context.signed_in_user = signed_in_user  # type: ignore[method-assign]
    quotas.count_active_jobs = count_active_jobs


def _reads_first() -> None:
    from db import jobs, quotas, users

    fused = jobs.insert_job

    async def insert_job(db: Any, job: Any, *, max_active: int = 0) -> Any:
        await users.get_user(db, job.user_id)
        await quotas.count_active_jobs(db, job.user_id)
        return await fused(db, job)

    jobs.insert_job = insert_job


def _flushes_alone() -> None:
    from db import jobs
    from worker.flushes import TextFlushes

    async def append(self: TextFlushes, flush: Any) -> Any:
        return await jobs.append_text(self._db, flush)

    TextFlushes.append = append  # type: ignore[method-assign]


def _tail_flushed() -> None:
    import time

    from worker.consumer import Worker
    from worker.stream import JobStream

    async def write(self: JobStream, chunk: str) -> None:
        self._last_chunk = time.monotonic()
        if not chunk:
            return
        self._buffer.append(chunk)
        self._buffered += len(chunk)
        settings = self.deps.settings
        due = time.monotonic() - self._last_flush >= settings.flush_interval_ms / 1000
        if due or self._buffered >= settings.flush_chars:
            await self.flush()

    complete = Worker._complete

    async def flushed_first(self: Worker, stream: JobStream) -> Any:
        await stream.flush()  # nothing is left for the completion to write
        return await complete(self, stream)

    JobStream.write = write  # type: ignore[method-assign]
    Worker._complete = flushed_first  # type: ignore[method-assign]


def _no_marks_probe() -> None:
    from db import jobs

    async def mark_published(db: Any, job_id: str) -> None:
        return None

    jobs.mark_published = mark_published  # type: ignore[assignment]


def _no_pending_probe() -> None:
    from broker.rabbitmq import RabbitBroker
    from core.jobs import JobStatus

    publish = RabbitBroker.publish_event

    async def publish_event(self: RabbitBroker, event: Any) -> None:
        if event.status is JobStatus.PENDING and event.attempt == 0:
            return None
        return await publish(self, event)

    RabbitBroker.publish_event = publish_event  # type: ignore[method-assign]


def _limit_unlocked() -> None:
    from db import jobs

    @contextlib.asynccontextmanager
    async def placing_jobs_of(db: Any, user_id: str, *, max_active: int) -> Any:
        yield db

    jobs.placing_jobs_of = placing_jobs_of


def _insert_in_transaction() -> None:
    from db import jobs

    insert_job = jobs.insert_job
    jobs.insert_new_job = lambda db, max_active: _inline_count_insert(max_active)

    async def insert_in_transaction(db: Any, job: Any, *, max_active: int = 0) -> Any:
        async with jobs.placing_jobs_of(db, job.user_id, max_active=max_active) as alone:
            return await insert_job(alone, job, max_active=max_active)

    jobs.insert_job = insert_in_transaction


def _no_active_limit_probe() -> None:
    os.environ["CAREEROPS_MAX_ACTIVE_JOBS"] = "0"


def _new_jobs_in_turn() -> None:
    from db.jobs import ACTIVE_JOBS_LOCK
    from resolvers.mutations import create_cover_letter as mutation

    new_job_slot = mutation.new_job_slot

    @contextlib.asynccontextmanager
    async def in_turn(info: Any) -> Any:
        db = info.context.db
        async with db.in_turn_here(ACTIVE_JOBS_LOCK + info.context.caller_id()):
            async with new_job_slot(info) as give_back:
                yield give_back

    mutation.new_job_slot = in_turn  # type: ignore[assignment]


def _inline_count_insert(max_active: int) -> str:
    from db import jobs

    checks = [jobs._OWNER_EXISTS]
    if max_active > 0:
        checks.append(f"({jobs.COUNT_ACTIVE_JOBS}) < :max_active")
    return (
        f"INSERT INTO jobs ({jobs._JOB_COLUMNS}) SELECT {jobs._NEW_JOB}"
        f" WHERE {' AND '.join(checks)}"
        " ON CONFLICT (user_id, idempotency_key) DO NOTHING RETURNING *"
    )


def _reads_unbounded() -> None:
    from api.request_bounds import BoundedRequestProtocol

    BoundedRequestProtocol._watch = lambda self, seconds: None  # type: ignore[method-assign]


def _ascii_json() -> None:
    import json

    from api import graphql
    from schema import sharing

    def escaped(data: object) -> str:
        return json.dumps(data, separators=(",", ":"))

    graphql.json_text = escaped  # type: ignore[attr-defined]
    sharing.json_text = escaped  # type: ignore[attr-defined]


_PATCHES: dict[str, Callable[[], None]] = {
    "reads_unbounded": _reads_unbounded,
    "ascii_json": _ascii_json,
    "no_active_limit_probe": _no_active_limit_probe,
    "new_jobs_in_turn": _new_jobs_in_turn,
    "insert_in_transaction": _insert_in_transaction,
    "limit_unlocked": _limit_unlocked,
    "no_pending_probe": _no_pending_probe,
    "no_marks_probe": _no_marks_probe,
    "tail_flushed": _tail_flushed,
    "flushes_alone": _flushes_alone,
    "reads_first": _reads_first,
    "no_reads_probe": _no_reads_probe,
    "view_as_is": _view_as_is,
    "relaxed_marks": _relaxed_marks,
    "long_way": _long_way,
    "fillfactor_70": _fillfactor_70,
    "fences_indexable": _fences_indexable,
    "cprofile": _cprofile,
    "events_direct": _events_direct,
    "amqp_coalesce": _amqp_coalesce,
    "cors_on_origin": _cors_on_origin,
    "timeline": _timeline,
    "memory_report": _memory_report,
    "marks_later": _marks_later,
    "gc_garbage": _gc_garbage,
    "custom_plans": _custom_plans,
    "worker_gc": _worker_gc,
    "user_cache": _user_cache,
    "orjson": _orjson,
    "no_access_log": _no_access_log,
    "no_statement_timeout": _no_statement_timeout,
    "pool_unbounded": _pool_unbounded,
    "gc_report": _gc_report,
}
