"""The jobs repository. ``transition`` is the only writer of a job's status."""

import uuid
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

import asyncpg

from core.events import EventType, JobEvent
from core.jobs import ACTIVE, RETRYABLE, JobKind, JobStatus, allowed_from
from core.usage import Usage
from db import workers
from db.connection import Db, Row, in_chunks, in_list, read_optional_time, read_time, utcnow


@dataclass(frozen=True, slots=True)
class JobRecord:
    id: str
    user_id: str
    kind: JobKind
    status: JobStatus
    tone: str
    job_description: str
    cv_text: str
    company_name: str | None
    applicant_name: str | None
    partial_text: str
    cover_letter: str | None
    progress: float
    seq: int
    attempts: int
    attempts_base: int
    error: str | None
    idempotency_key: str | None
    available_at: datetime
    lease_until: datetime | None
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    #: what writing the letter cost; set when the job COMPLETED
    usage: Usage | None = None

    @classmethod
    def from_record(cls, record: Row) -> "JobRecord":
        return cls(
            id=record["id"],
            user_id=record["user_id"],
            kind=JobKind(record["kind"]),
            status=JobStatus(record["status"]),
            tone=record["tone"],
            job_description=record["job_description"],
            cv_text=record["cv_text"],
            company_name=record["company_name"],
            applicant_name=record["applicant_name"],
            partial_text=record["partial_text"],
            cover_letter=record["cover_letter"],
            progress=float(record["progress"]),
            seq=int(record["seq"]),
            attempts=int(record["attempts"]),
            attempts_base=int(record["attempts_base"]),
            error=record["error"],
            idempotency_key=record["idempotency_key"],
            available_at=read_time(record["available_at"]),
            lease_until=read_optional_time(record["lease_until"]),
            published_at=read_optional_time(record["published_at"]),
            created_at=read_time(record["created_at"]),
            updated_at=read_time(record["updated_at"]),
            completed_at=read_optional_time(record["completed_at"]),
            usage=_read_usage(record),
        )

    @property
    def text(self) -> str:
        """The text as of this row: the final letter once written, else the text so far."""
        return self.cover_letter if self.cover_letter is not None else self.partial_text

    def to_event(self, type: EventType, *, delta: str | None = None) -> JobEvent:
        """The event that announces this row's state (a DELTA carries only ``delta``)."""
        return JobEvent(
            job_id=self.id,
            user_id=self.user_id,
            seq=self.seq,
            type=type,
            status=self.status,
            attempt=self.attempts,
            progress=self.progress,
            at=self.updated_at,
            delta=delta if type is EventType.DELTA else None,
            text=None if type is EventType.DELTA else self.text,
            error=self.error,
        )


def status_in(statuses: Iterable[JobStatus]) -> str:
    """``status IN ('A', 'B')`` with literals: a condition the planner can match against a
    partial index's (it cannot with a prepared statement's parameters)."""
    return f"status IN ({', '.join(repr(status.value) for status in sorted(statuses))})"


def by_id(*conditions: str) -> str:
    """``id = :id`` and ``conditions``, in a form that only the primary key can serve.

    A table of mostly finished letters gives PostgreSQL statistics in which no job is
    running. Told ``id = … AND status = 'PROCESSING'`` it chose an index of statuses (or
    ``jobs_user_active``, whose condition the status implies) and read every running job's
    entry to find one: each claim, flush and completion cost more the more jobs ran (with
    200 running, a completion took PostgreSQL 345 µs of CPU instead of 153). Before the first
    ANALYZE (a new deployment) the owner did the same: ``user_id = … AND id = …`` went
    through ``jobs_user_newest`` and read the user's whole history. Inside ``IS TRUE``
    the conditions still filter the row, but neither match an index nor imply a partial
    index's condition (``tests/db/test_plans.py``).
    """
    return f"id = :id AND ({' AND '.join(conditions)}) IS TRUE"


#: the job ``:id`` while ``:attempt`` is its running attempt (values: ``_running_attempt``)
_RUNNING_ATTEMPT = by_id("status = :processing", "attempts = :attempt")


def _running_attempt(job_id: str, attempt: int) -> dict[str, Any]:
    """The values ``_RUNNING_ATTEMPT`` names."""
    return {"id": job_id, "processing": JobStatus.PROCESSING.value, "attempt": attempt}


@dataclass(frozen=True, slots=True)
class Sql:
    """A raw SQL expression as the new value of a column (``attempts + 1``)."""

    expression: str


#: the transition's own moment, the one it writes to ``updated_at`` (a job's
#: ``completed_at`` from a clock read of its own came a few µs before its ``updated_at``)
TRANSITION_TIME = Sql(":now")


@dataclass(frozen=True, slots=True)
class NewJob:
    user_id: str
    kind: JobKind
    tone: str
    job_description: str
    cv_text: str
    company_name: str | None
    applicant_name: str | None
    idempotency_key: str | None


#: the jobs columns that hold ``Usage``, named after its fields
USAGE_COLUMNS = tuple(field.name for field in fields(Usage))


def _read_usage(record: Row) -> Usage | None:
    usage = Usage(**{column: record[column] for column in USAGE_COLUMNS})
    return None if usage.is_empty else usage


def usage_changes(usage: Usage) -> dict[str, Any]:
    """``usage`` as ``transition`` changes."""
    return asdict(usage)


_WRITABLE = frozenset(
    {
        *USAGE_COLUMNS,
        "partial_text",
        "cover_letter",
        "progress",
        "attempts",
        "attempts_base",
        "error",
        "available_at",
        "lease_until",
        "leased_by",
        "published_at",
        "completed_at",
    }
)


#: The advisory lock, with the user's id, under which a user's active jobs are counted
#: and added to (``placing_jobs_of`` for a retry, ``active_jobs_in_turn`` of migration
#: 0004 inside a new job's INSERT).
ACTIVE_JOBS_LOCK = "active-jobs:"
#: The condition of the partial index ``jobs_user_active`` (migration 0003), spelt the
#: same way by the queries that are to use it.
ACTIVE_PREDICATE = status_in(ACTIVE)
#: The user's PENDING and PROCESSING jobs, read through ``jobs_user_active``: as cheap
#: for a user with ten thousand finished letters as for a new one.
COUNT_ACTIVE_JOBS = f"SELECT COUNT(*) FROM jobs WHERE user_id = :user_id AND {ACTIVE_PREDICATE}"
_JOB_COLUMNS = (
    "id, user_id, kind, status, tone, job_description, cv_text, company_name,"
    " applicant_name, idempotency_key, available_at, created_at, updated_at"
)
# The owner twice: PostgreSQL deduces a parameter's type from each place it stands, and
# those of a column being inserted and of a comparison differ.
_NEW_JOB = (
    ":id, :owner, :kind, :status, :tone, :job_description, :cv_text, :company_name,"
    " :applicant_name, :idempotency_key, :now, :now, :now"
)
_OWNER_EXISTS = "EXISTS (SELECT 1 FROM users WHERE id = :user_id)"


def insert_new_job(db: Db, max_active: int) -> str:
    """The INSERT of a new job, which places it only if its owner exists and has fewer than
    ``max_active`` unfinished jobs (0: no limit).

    On PostgreSQL the count waits for the user's turn (``active_jobs_in_turn``, migration
    0004), so the statement is the whole transaction; SQLite runs one writer at a time.
    """
    checks = [_OWNER_EXISTS]
    if max_active > 0:
        in_turn = db.dialect == "postgresql"
        count = "active_jobs_in_turn(:user_id)" if in_turn else f"({COUNT_ACTIVE_JOBS})"
        checks.append(f"{count} < :max_active")
    return (
        f"INSERT INTO jobs ({_JOB_COLUMNS}) SELECT {_NEW_JOB} WHERE {' AND '.join(checks)}"
        " ON CONFLICT (user_id, idempotency_key) DO NOTHING RETURNING *"
    )


@asynccontextmanager
async def placing_jobs_of(db: Db, user_id: str, *, max_active: int) -> AsyncIterator[Db]:
    """``db`` on which to count the user's active jobs and add to them (``run_again``):
    under a limit (``max_active`` > 0), one request at a time, in any process. Taken
    together, twenty requests each found room, and all were placed."""
    if max_active <= 0:
        yield db
        return
    async with db.one_at_a_time(ACTIVE_JOBS_LOCK + user_id) as alone:
        yield alone


#: INSERTs of one request whose key's job is deleted and placed again beside it
_KEY_ROUNDS = 3


async def insert_job(db: Db, job: NewJob, *, max_active: int = 0) -> tuple[JobRecord, bool] | None:
    """The stored job and whether it is new (False: the idempotency key was used before);
    None when the owner's account is gone, or it has ``max_active`` unfinished jobs
    already (0: no limit), counted in the user's turn across processes.

    The INSERT checks both itself: every new job is one statement, where reading the
    account and counting its jobs first made it three (what that bought is in
    ``bench/changes.md``).
    """
    values = new_job_values(db, job, max_active)
    for _ in range(_KEY_ROUNDS):
        try:
            record = await db.fetch_one(insert_new_job(db, max_active), values)
        except asyncpg.ForeignKeyViolationError:
            return None  # the account was deleted as the INSERT ran (after its check saw it)
        if record is not None:
            return JobRecord.from_record(record), True
        if job.idempotency_key is None:
            return None
        existing = await job_with_idempotency_key(db, job.user_id, job.idempotency_key)
        if existing is not None:
            return existing, False
        # Refused by a check, or the job that held the key was deleted since, and another
        # INSERT tells them apart: deleted, it places the job now, unless a repeat of this
        # request placed one first (found by the next round's lookup).
        values = {**values, "id": str(uuid.uuid4())}
    return None


async def job_with_idempotency_key(db: Db, user_id: str, key: str) -> JobRecord | None:
    """The job a repeated key names (a retry of the same request costs no new quota)."""
    record = await db.fetch_one(
        "SELECT * FROM jobs WHERE user_id = :user_id AND idempotency_key = :key",
        {"user_id": user_id, "key": key},
    )
    return None if record is None else JobRecord.from_record(record)


def new_job_values(db: Db, job: NewJob, max_active: int) -> dict[str, Any]:
    """The parameters of ``insert_new_job``."""
    values: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "owner": job.user_id,
        "user_id": job.user_id,
        "kind": job.kind.value,
        "status": JobStatus.PENDING.value,
        "tone": job.tone,
        "job_description": job.job_description,
        "cv_text": job.cv_text,
        "company_name": job.company_name,
        "applicant_name": job.applicant_name,
        "idempotency_key": job.idempotency_key,
        "now": db.time(utcnow()),
    }
    if max_active > 0:
        values["max_active"] = max_active
    return values


async def get_job(db: Db, job_id: str, *, user_id: str | None = None) -> JobRecord | None:
    values: dict[str, Any] = {"id": job_id}
    where = "id = :id"
    if user_id is not None:
        where = by_id("user_id = :user_id")
        values["user_id"] = user_id
    record = await db.fetch_one(f"SELECT * FROM jobs WHERE {where}", values)
    return None if record is None else JobRecord.from_record(record)


async def seqs_of(db: Db, job_ids: Sequence[str]) -> dict[str, int]:
    """The current ``seq`` of each of these jobs that still exists (a statement per 500)."""
    seqs: dict[str, int] = {}
    for chunk in in_chunks(job_ids):
        placeholders, values = in_list(chunk)
        rows = await db.fetch_all(f"SELECT id, seq FROM jobs WHERE id IN ({placeholders})", values)
        seqs.update((row["id"], int(row["seq"])) for row in rows)
    return seqs


async def jobs_changed_since(db: Db, user_id: str, since: datetime) -> list[JobRecord]:
    """The user's jobs changed at or after ``since``, the oldest change first."""
    rows = await db.fetch_all(
        "SELECT * FROM jobs WHERE user_id = :user_id AND updated_at >= :since"
        " ORDER BY updated_at, id",
        {"user_id": user_id, "since": db.time(since)},
    )
    return [JobRecord.from_record(row) for row in rows]


async def get_job_of_user(db: Db, job_id: str, user_id: str) -> tuple[bool, JobRecord | None]:
    """Whether the user exists, and their job ``job_id`` if they have it: one statement."""
    record = await db.fetch_one(
        "SELECT users.id AS owner_exists, jobs.* FROM users"
        # the owner inside IS TRUE: only the primary key serves the job (``by_id``)
        " LEFT JOIN jobs ON jobs.id = :id AND (jobs.user_id = users.id) IS TRUE"
        " WHERE users.id = :user_id",
        {"id": job_id, "user_id": user_id},
    )
    if record is None:
        return False, None
    return True, None if record["id"] is None else JobRecord.from_record(record)


async def transition(
    db: Db,
    job_id: str,
    to: JobStatus,
    *,
    fence_attempts: int | None = None,
    user_id: str | None = None,
    changes: Mapping[str, Any | Sql] | None = None,
    only_from: frozenset[JobStatus] | None = None,
    condition: str | None = None,
    params: Mapping[str, Any] | None = None,
    changes_made: int = 1,
) -> JobRecord | None:
    """Move a job to ``to`` if the state machine allows it from its current status.

    One UPDATE; ``None`` means the job is gone or someone else moved it first,
    and the caller must stop. ``fence_attempts`` makes the move conditional on
    the attempt the caller owns; ``only_from`` and ``condition`` narrow it further.
    ``params`` are values an ``Sql`` change names; ``changes_made`` is how far ``seq``
    moves: a transition that also writes text is two changes, one event each.
    """
    assignments = ["status = :to", f"seq = seq + {int(changes_made)}", "updated_at = :now"]
    values: dict[str, Any] = {
        **(params or {}),
        "id": job_id,
        "to": to.value,
        "now": db.time(utcnow()),
    }
    for column, value in (changes or {}).items():
        if column not in _WRITABLE:
            raise ValueError(f"not a writable job column: {column}")
        if isinstance(value, Sql):
            assignments.append(f"{column} = {value.expression}")
        else:
            assignments.append(f"{column} = :set_{column}")
            values[f"set_{column}"] = db.time(value) if isinstance(value, datetime) else value
    legal = allowed_from(to) if only_from is None else allowed_from(to) & only_from
    fences = [status_in(legal)]
    if fence_attempts is not None:
        fences.append("attempts = :fence")
        values["fence"] = fence_attempts
    if user_id is not None:
        fences.append("user_id = :user_id")
        values["user_id"] = user_id
    if condition is not None:
        fences.append(f"({condition})")
    record = await db.fetch_one(
        f"UPDATE jobs SET {', '.join(assignments)} WHERE {by_id(*fences)} RETURNING *", values
    )
    return None if record is None else JobRecord.from_record(record)


_DUE = "(status = 'PENDING' AND available_at <= :now)"
_LEASE_EXPIRED = "(status = 'PROCESSING' AND (lease_until IS NULL OR lease_until < :now))"
#: a takeover is an attempt too: a job that kills (or hangs) every worker it lands on
#: would otherwise be taken over for ever
_BUDGET_LEFT = "attempts - attempts_base < :max_attempts"


#: the worker that holds the running attempt has not said it is alive lately
_HOLDER_SILENT = (
    "NOT EXISTS (SELECT 1 FROM workers"
    " WHERE workers.id = jobs.leased_by AND workers.seen_at > :silent_since)"
)


async def claim(
    db: Db,
    job_id: str,
    *,
    worker_id: str,
    takeover: bool,
    lease_until: datetime,
    max_attempts: int,
) -> JobRecord | None:
    """Start the job's next attempt, leased to ``worker_id`` until ``lease_until``.

    A PENDING job is claimed once it is due. A PROCESSING one is taken over once its
    lease ran out (its worker hangs), or, for a redelivered message (``takeover``: its
    consumer's connection closed), once its worker has gone quiet (``db.workers``): it
    died, where one whose connection only dropped goes on writing. Either while attempts
    are left. ``None``: not now.
    """
    processing = (
        f"({_LEASE_EXPIRED} OR (status = 'PROCESSING' AND {_HOLDER_SILENT}))"
        if takeover
        else _LEASE_EXPIRED
    )
    params: dict[str, Any] = {"max_attempts": max_attempts}
    if takeover:
        params["silent_since"] = db.time(workers.silent_since())
    return await transition(
        db,
        job_id,
        JobStatus.PROCESSING,
        only_from=frozenset({JobStatus.PENDING, JobStatus.PROCESSING}),
        changes={
            "attempts": Sql("attempts + 1"),
            "partial_text": "",
            "progress": 0.0,
            "error": None,
            "lease_until": lease_until,
            "leased_by": worker_id,
        },
        condition=f"{_DUE} OR ({processing} AND {_BUDGET_LEFT})",
        params=params,
    )


async def restart(
    db: Db, job_id: str, *, attempt: int, worker_id: str, lease_until: datetime
) -> JobRecord | None:
    """Start ``attempt`` over as the job's next attempt, for the worker that runs it, and
    from none of its budget: the attempt met a database outage, not a fault of the job's.
    A new number fences out what the old one sent and the database may still commit.
    ``None``: the attempt is no longer this worker's (ended, cancelled or taken over)."""
    return await transition(
        db,
        job_id,
        JobStatus.PROCESSING,
        fence_attempts=attempt,
        only_from=frozenset({JobStatus.PROCESSING}),
        changes={
            "attempts": Sql("attempts + 1"),
            "attempts_base": Sql("attempts_base + 1"),
            "partial_text": "",
            "progress": 0.0,
            "lease_until": lease_until,
        },
        condition="leased_by = :worker_id",
        params={"worker_id": worker_id},
    )


@dataclass(frozen=True, slots=True)
class Flushed:
    seq: int
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class TextFlush:
    """One flush of a job's text, to be appended while ``attempt`` is its running attempt."""

    job_id: str
    attempt: int
    delta: str
    progress: float
    lease_until: datetime


async def append_text(db: Db, flush: TextFlush) -> Flushed | None:
    """Append one flush of text; ``None`` means the attempt was cancelled or fenced out."""
    # RETURNING only what the event needs: the row's texts can be 70 KB, flushes are many.
    record = await db.fetch_one(
        "UPDATE jobs SET partial_text = partial_text || :delta, progress = :progress,"
        " seq = seq + 1, lease_until = :lease_until, updated_at = :now"
        f" WHERE {_RUNNING_ATTEMPT} RETURNING seq, updated_at",
        {
            **_running_attempt(flush.job_id, flush.attempt),
            "delta": flush.delta,
            "progress": flush.progress,
            "lease_until": db.time(flush.lease_until),
            "now": db.time(utcnow()),
        },
    )
    if record is None:
        return None
    return Flushed(seq=int(record["seq"]), updated_at=read_time(record["updated_at"]))


#: several jobs' flushes as one UPDATE: each row joined by its primary key, fenced as in
#: ``append_text`` (inside ``IS TRUE``, so only the key serves the join: see ``by_id``)
_APPEND_TEXTS = (
    "UPDATE jobs SET partial_text = jobs.partial_text || f.delta, progress = f.progress,"
    " seq = jobs.seq + 1, lease_until = f.lease_until, updated_at = :now"
    " FROM unnest(:ids::text[], :attempts::int[], :deltas::text[], :progresses::float8[],"
    " :leases::timestamptz[]) AS f(id, attempt, delta, progress, lease_until)"
    " WHERE jobs.id = f.id AND (jobs.status = :processing AND jobs.attempts = f.attempt) IS TRUE"
    " RETURNING jobs.id, jobs.seq, jobs.updated_at"
)


async def append_texts(db: Db, flushes: Sequence[TextFlush]) -> list[Flushed | None]:
    """Flushes of several jobs: on PostgreSQL one statement and one commit for them all.

    A result per flush, in order, as ``append_text`` gives it: each row is still updated
    once per flush, with its own ``seq``, and ``None`` means that job's attempt was
    cancelled or fenced out. A job may have one flush in a group at most.
    """
    if db.dialect != "postgresql" or len(flushes) == 1:
        return [await append_text(db, flush) for flush in flushes]
    ids = [flush.job_id for flush in flushes]
    if len(set(ids)) != len(ids):
        raise ValueError("one flush per job in a statement: a second would overwrite the first")
    records = await db.fetch_all(
        _APPEND_TEXTS,
        {
            "ids": ids,
            "attempts": [flush.attempt for flush in flushes],
            "deltas": [flush.delta for flush in flushes],
            "progresses": [flush.progress for flush in flushes],
            "leases": [flush.lease_until for flush in flushes],
            "processing": JobStatus.PROCESSING.value,
            "now": utcnow(),
        },
    )
    flushed = {
        record["id"]: Flushed(seq=int(record["seq"]), updated_at=read_time(record["updated_at"]))
        for record in records
    }
    return [flushed.get(job_id) for job_id in ids]


async def renew_lease(db: Db, job_id: str, *, attempt: int, lease_until: datetime) -> bool:
    """Extend the running attempt's lease; False means it no longer owns the job."""
    record = await db.fetch_one(
        f"UPDATE jobs SET lease_until = :lease_until WHERE {_RUNNING_ATTEMPT} RETURNING id",
        {**_running_attempt(job_id, attempt), "lease_until": db.time(lease_until)},
    )
    return record is not None


async def owns_attempt(db: Db, job_id: str, *, attempt: int) -> bool:
    """Whether ``attempt`` is still the running attempt of the job."""
    record = await db.fetch_one(
        f"SELECT id FROM jobs WHERE {_RUNNING_ATTEMPT}",
        _running_attempt(job_id, attempt),
    )
    return record is not None


async def mark_published(db: Db, job_id: str) -> None:
    """Record a confirmed wake-up message, so the sweep leaves the job alone."""
    await db.execute(
        "UPDATE jobs SET published_at = :now WHERE id = :id",
        {"id": job_id, "now": db.time(utcnow())},
    )


async def forget_publications(db: Db) -> None:
    """Every active job needs a new message (the broker's queue did not survive a restart).

    Its PROCESSING jobs' workers died with it, so their leases are void too.
    """
    await db.execute(
        "UPDATE jobs SET published_at = NULL,"
        " lease_until = CASE WHEN status = :processing THEN created_at ELSE lease_until END"
        " WHERE status IN (:pending, :processing)",
        {"pending": JobStatus.PENDING.value, "processing": JobStatus.PROCESSING.value},
    )


async def jobs_needing_wakeup(db: Db, *, older_than: datetime, limit: int = 500) -> list[JobRecord]:
    """The outbox: jobs that should be in the queue but may not be.

    PENDING jobs due to run whose publish was never confirmed, and PROCESSING
    jobs whose lease ran out (their worker hangs) with no wake-up sent since.
    """
    records = await db.fetch_all(
        "SELECT * FROM jobs WHERE"
        " (status = :pending AND published_at IS NULL AND available_at <= :now"
        "  AND updated_at < :older_than)"
        " OR (status = :processing AND lease_until < :older_than"
        "  AND (published_at IS NULL OR published_at < lease_until))"
        " ORDER BY created_at LIMIT :limit",
        {
            "pending": JobStatus.PENDING.value,
            "processing": JobStatus.PROCESSING.value,
            "now": db.time(utcnow()),
            "older_than": db.time(older_than),
            "limit": limit,
        },
    )
    return [JobRecord.from_record(record) for record in records]


async def jobs_published_long_ago(db: Db, *, before: datetime, limit: int = 500) -> list[JobRecord]:
    """PENDING jobs, due and confirmed in the queue since before ``before``, not yet taken."""
    records = await db.fetch_all(
        "SELECT * FROM jobs WHERE status = :pending AND available_at < :before"
        " AND published_at < :before ORDER BY available_at LIMIT :limit",
        {"pending": JobStatus.PENDING.value, "before": db.time(before), "limit": limit},
    )
    return [JobRecord.from_record(record) for record in records]


@dataclass(frozen=True, slots=True)
class JobPage:
    jobs: Sequence[JobRecord]
    has_next_page: bool
    total_count: int


async def list_jobs(
    db: Db,
    *,
    user_id: str,
    status: JobStatus | None,
    first: int,
    after: tuple[datetime, str] | None,
) -> JobPage:
    """The user's jobs, newest first, keyset-paginated on (created_at, id)."""
    filters = ["user_id = :user_id"]
    values: dict[str, Any] = {"user_id": user_id}
    if status is not None:
        filters.append("status = :status")
        values["status"] = status.value
    total = await db.fetch_val(f"SELECT COUNT(*) FROM jobs WHERE {' AND '.join(filters)}", values)
    if after is not None:
        filters.append(
            "(created_at < :after_time OR (created_at = :after_time AND id < :after_id))"
        )
        values["after_time"] = db.time(after[0])
        values["after_id"] = after[1]
    records = await db.fetch_all(
        f"SELECT * FROM jobs WHERE {' AND '.join(filters)}"
        " ORDER BY created_at DESC, id DESC LIMIT :limit",
        {**values, "limit": first + 1},
    )
    jobs = [JobRecord.from_record(record) for record in records]
    return JobPage(jobs=jobs[:first], has_next_page=len(jobs) > first, total_count=int(total))


async def delete_job(db: Db, job_id: str, *, user_id: str) -> JobRecord | None:
    """Erase the user's job; the row as it was, or None when there was none.

    One statement, so nobody sees the job half-deleted: a cancel committed first and the
    DELETE after it let a retry in between find the job CANCELLED and run it again.
    """
    record = await db.fetch_one(
        f"DELETE FROM jobs WHERE {by_id('user_id = :user_id')} RETURNING *",
        {"id": job_id, "user_id": user_id},
    )
    return None if record is None else JobRecord.from_record(record)


async def count_by_status(db: Db) -> dict[JobStatus, int]:
    records = await db.fetch_all("SELECT status, COUNT(*) AS n FROM jobs GROUP BY status")
    counts = dict.fromkeys(JobStatus, 0)
    counts.update({JobStatus(record["status"]): int(record["n"]) for record in records})
    return counts


async def oldest_pending_since(db: Db) -> datetime | None:
    """When the longest-waiting PENDING job that is due became due."""
    value = await db.fetch_val(
        "SELECT MIN(available_at) FROM jobs WHERE status = :pending AND available_at <= :now",
        {"pending": JobStatus.PENDING.value, "now": db.time(utcnow())},
    )
    return read_optional_time(value)


async def retries_waiting(db: Db) -> tuple[int, datetime | None]:
    """PENDING jobs not due yet (waiting out a retry's delay), and when the first is due."""
    record = await db.fetch_one(
        "SELECT COUNT(*) AS waiting, MIN(available_at) AS next_due FROM jobs"
        " WHERE status = :pending AND available_at > :now",
        {"pending": JobStatus.PENDING.value, "now": db.time(utcnow())},
    )
    assert record is not None
    return int(record["waiting"]), read_optional_time(record["next_due"])


async def run_again(db: Db, job_id: str, *, user_id: str | None = None) -> JobRecord | None:
    """A FAILED or CANCELLED job back to PENDING, with empty text and a fresh attempt budget."""
    return await transition(
        db,
        job_id,
        JobStatus.PENDING,
        user_id=user_id,
        only_from=RETRYABLE,
        changes={
            # The attempt count goes on (it fences old writers); the budget starts afresh.
            "attempts_base": Sql("attempts"),
            "partial_text": "",
            "cover_letter": None,
            "progress": 0.0,
            "error": None,
            "available_at": utcnow(),
            "published_at": None,
            "completed_at": None,
        },
    )
