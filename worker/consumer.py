"""The consumer loop: turn each job message into fenced transitions, then ack."""

import asyncio
import contextlib
import logging
import math
import random
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Mapping
from datetime import datetime, timedelta
from functools import partial

from opentelemetry.trace import SpanKind

from broker.base import BrokerUnavailable, Delivery, JobMessage, MalformedMessage, Outcome
from broker.outbox import carried_headers, enqueue
from core.events import EventType
from core.jobs import TERMINAL, JobKind, JobStatus
from core.logs import bound, where_it_failed
from core.metrics import JOBS_FINISHED
from core.outages import Outage
from core.tracing import extract, span
from db import jobs, workers
from db.connection import DatabaseUnavailable, utcnow
from db.jobs import TRANSITION_TIME, JobRecord, Sql, usage_changes
from worker.deps import WorkerDeps
from worker.handlers import Handler
from worker.lease import keep_lease
from worker.metrics import observe_finished, observe_retry
from worker.outcomes import Fenced, PermanentError, Retry
from worker.presence import Presence
from worker.stream import JobStream

log = logging.getLogger(__name__)

#: how long to hold a message back before requeueing it while the database is down
DB_DOWN_BACKOFF_SECONDS = 1.0
#: a job message's header: read it as redelivered (a takeover if the job's worker is gone)
TAKEOVER_HEADER = "x-careerops-takeover"


class Worker:
    def __init__(
        self,
        deps: WorkerDeps,
        handlers: Mapping[JobKind, Handler],
        *,
        presence: Presence | None = None,
    ) -> None:
        if not handlers:
            raise ValueError("a worker needs at least one job handler")
        self.deps = deps
        self.handlers = dict(handlers)
        #: this worker's row in ``workers``, as the others see it
        self.presence = presence
        #: told once, not once per job taken from the queue while it lasts
        self.database_outage = Outage(
            "database connection",
            meanwhile="jobs wait for it, and those it cut short are written again once it is back",
        )
        #: the jobs this worker is running an attempt of now, and how many
        self._running: Counter[str] = Counter()

    async def handle(self, delivery: Delivery) -> Outcome:
        parent = extract(delivery.headers)
        with (
            bound(request_id=delivery.headers.get("x-request-id")),
            span("job", context=parent, kind=SpanKind.CONSUMER) as job_span,
        ):
            outcome = await self._handle(delivery)
            job_span.set_attribute("careerops.outcome", outcome.value)
            return outcome

    async def _handle(self, delivery: Delivery) -> Outcome:
        try:
            message = JobMessage.from_json(delivery.body)
        except MalformedMessage as e:
            log.warning("dead-lettering a malformed job message: %s", e)
            return Outcome.DEAD_LETTER
        handler = self.handlers.get(message.kind)
        if handler is None:
            log.warning("dead-lettering job %s: no handler for %s", message.job_id, message.kind)
            return Outcome.DEAD_LETTER
        if self.presence is not None and self.presence.cut_off():
            if not await self.presence.written_within(DB_DOWN_BACKOFF_SECONDS):
                # Its database hangs for this worker alone (no error, no answer): a claim
                # would wait as long, holding the message from the workers that can run it.
                self.database_outage.failed(TimeoutError("this worker's row is not being written"))
                return Outcome.REQUEUE
        try:
            with bound(job_id=message.job_id):
                takeover = delivery.redelivered or TAKEOVER_HEADER in delivery.headers
                outcome = await self._run(message, handler, takeover=takeover)
        except DatabaseUnavailable as e:
            self.database_outage.failed(e)
            log.debug("job %s: %s; requeueing", message.job_id, e)
            await asyncio.sleep(DB_DOWN_BACKOFF_SECONDS)
            return Outcome.REQUEUE
        return outcome

    async def _run(self, message: JobMessage, handler: Handler, *, takeover: bool) -> Outcome:
        job_id = message.job_id
        if takeover and self._running[job_id]:
            # Redelivered, its consumer died, but this worker runs the job: a second message
            # for it (the sweep's wake-up, redelivered with the first when a frozen worker
            # was dropped, or its own after a dropped connection). Taken over at once, it
            # would end the attempt begun here; that attempt's own message is acked when it
            # ends. (A message that is not redelivered still takes over an attempt here
            # whose lease ran out: it hangs.) With the database away from this worker, the
            # attempt here may be what hangs: the message goes on to another worker.
            if self.database_outage.down_since is None:
                log.info("a second message for job %s, running here already: dropped", job_id)
            else:
                await self._ask_again_for_takeover(message)
            return Outcome.ACK
        self._running[job_id] += 1
        try:
            return await self._run_once(job_id, handler, takeover=takeover)
        finally:
            self._running[job_id] -= 1
            if not self._running[job_id]:
                del self._running[job_id]

    async def _run_once(self, job_id: str, handler: Handler, *, takeover: bool) -> Outcome:
        # The claim comes first: a job that can run needs no other statement, and only a
        # message that cannot be claimed reads the row to learn why.
        with span("claim"), _told_if_handed_back():
            claimed = await self._through_outage(job_id, partial(self._claim, job_id, takeover))
        if claimed is None:
            return await self._not_claimed(job_id, takeover=takeover)
        with bound(user_id=claimed.user_id, attempt=claimed.attempts), _told_if_handed_back():
            log.info("attempt %d started", claimed.attempts)
            return await self._attempt(claimed, handler)

    async def _not_claimed(self, job_id: str, *, takeover: bool) -> Outcome:
        """Done with a message whose job this worker cannot run now, by what its row says."""
        job = await jobs.get_job(self.deps.db, job_id)
        if job is None:
            log.info("dropping the message of job %s: no such job", job_id)
        elif job.status in TERMINAL:
            if takeover:
                # The worker before us may have died after committing this state and before
                # announcing it; without the event its subscribers would wait forever. Those
                # who saw it already skip it by its seq.
                await self._publish(job)
        elif self._abandoned(job):
            # Not claimed though its attempt is dead: no attempt of its budget is left.
            with bound(user_id=job.user_id, attempt=job.attempts):
                return await self._give_up(job)
        elif takeover and job.status is JobStatus.PROCESSING:
            # Its worker is alive (its connection to RabbitMQ only dropped) or has died just
            # now: asked again once a dead one would have gone quiet.
            await self._ask_again_for_takeover(JobMessage(job.id, job.kind))
        else:
            await self._wake_later(job)
        return Outcome.ACK

    async def _attempt(self, claimed: JobRecord, handler: Handler) -> Outcome:
        """Run the attempt claimed; one a database outage cuts short is started over here
        once the database answers. Handed back, its message waited out the lease before
        anyone took the job over, and spent an attempt of its budget: a few blips during
        one letter failed it."""
        job = claimed
        while True:
            try:
                with bound(attempt=job.attempts):
                    return await self._write(job, handler)
            except DatabaseUnavailable as e:
                self.database_outage.failed(e)
            await asyncio.sleep(DB_DOWN_BACKOFF_SECONDS)
            restarted = await self._through_outage(job.id, partial(self._restart, job), held=True)
            if restarted is None:
                # It ended meanwhile: its end, which met the outage, was committed after
                # all (and may be unannounced), or it was cancelled or taken over.
                return await self._not_claimed(job.id, takeover=True)
            log.info(
                "attempt %d met a database outage: written again as attempt %d,"
                " from none of the job's budget",
                job.attempts,
                restarted.attempts,
            )
            job = restarted

    async def _through_outage(
        self,
        job_id: str,
        write: Callable[[datetime], Awaitable[JobRecord | None]],
        *,
        held: bool = False,
    ) -> JobRecord | None:
        """``write`` (a claim or a restart, given the lease it sets), tried until the
        database answers it. A try whose answer the outage lost may have been committed: the
        row then holds a lease that only this worker's tries set, and is this worker's (a
        claim answered "not now" again, the job waited out a lease and spent an attempt).
        Gives up (``DatabaseUnavailable``) after a lease's time: the job may be another
        worker's by then. A claim gives up sooner, once this worker's own row looks silent
        (its database may hang for it alone): the message is then another worker's to run.
        A restart (``held``: the job is this worker's) does not: while it holds the job's
        message and lease no other worker can take the job, and the message handed back
        would come back as a takeover, charged to the job's budget if the row looked silent,
        or left waiting out the lease if it did not."""
        leases: list[datetime] = []
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + self.deps.settings.lease_seconds
        while True:
            lease_until = self.deps.lease_deadline()
            leases.append(lease_until)
            try:
                written = await write(lease_until)
                if written is None and len(leases) > 1:
                    written = await self._written_here(job_id, leases)
            except DatabaseUnavailable as e:
                self.database_outage.failed(e)
                cut_off = self.presence is not None and self.presence.cut_off()
                if (cut_off and not held) or loop.time() >= give_up_at:
                    raise
                await asyncio.sleep(DB_DOWN_BACKOFF_SECONDS)
                continue
            self.database_outage.recovered()
            return written

    async def _written_here(self, job_id: str, leases: list[datetime]) -> JobRecord | None:
        """The job, if one of ``leases`` (this worker's tries at a claim or restart) is its
        running attempt's: the try was committed and its answer lost."""
        job = await jobs.get_job(self.deps.db, job_id)
        if job is None or job.status is not JobStatus.PROCESSING or job.lease_until not in leases:
            return None
        return job

    async def _restart(self, job: JobRecord, lease_until: datetime) -> JobRecord | None:
        return await jobs.restart(
            self.deps.db,
            job.id,
            attempt=job.attempts,
            worker_id=self.deps.worker_id,
            lease_until=lease_until,
        )

    async def _write(self, claimed: JobRecord, handler: Handler) -> Outcome:
        """One attempt: the letter written and the job's end committed."""
        await self._publish(claimed)
        stream = JobStream(claimed, self.deps)
        try:
            async with keep_lease(stream, self.deps, self.database_outage):
                with span("write", attributes={"attempt": claimed.attempts}):
                    await handler(claimed, stream, self.deps)
            return await self._complete(stream)
        except Fenced:
            log.info("attempt fenced out (cancelled or taken over); stopping")
            return Outcome.ACK
        except Retry as retry:
            return await self._retry(stream, retry)
        except PermanentError as e:
            await self._fail(stream, str(e))
            return Outcome.ACK
        except DatabaseUnavailable:
            raise  # an outage, not this job's fault: the attempt is started over (``_attempt``)
        except Exception as e:
            # A bug, or text the database refused: an attempt like any failed one, counted
            # against the job's budget. Handed back instead, its message came back as a
            # takeover, attempts + 1, for ever.
            log.error("attempt failed unexpectedly: %s", where_it_failed(e))
            failure = Retry(f"The worker failed ({type(e).__name__}).", cause="worker_error")
            return await self._retry(stream, failure)

    async def _claim(self, job_id: str, takeover: bool, lease_until: datetime) -> JobRecord | None:
        return await jobs.claim(
            self.deps.db,
            job_id,
            worker_id=self.deps.worker_id,
            takeover=takeover,
            lease_until=lease_until,
            max_attempts=self.deps.settings.max_attempts,
        )

    @staticmethod
    def _abandoned(job: JobRecord) -> bool:
        """Whether ``job``'s running attempt is dead or hung: its lease ran out. (A message
        redelivered from a consumer that died may not be this attempt's: two messages of
        one job, redelivered to two workers, and the first to claim it runs it now.)"""
        return job.status is JobStatus.PROCESSING and (
            job.lease_until is None or job.lease_until < utcnow()
        )

    async def _give_up(self, job: JobRecord) -> Outcome:
        """Fail a job whose every attempt of its budget ended with its worker gone."""
        failed = await jobs.transition(
            self.deps.db,
            job.id,
            JobStatus.FAILED,
            fence_attempts=job.attempts,
            only_from=frozenset({JobStatus.PROCESSING}),
            changes={
                "error": self._gave_up(
                    "the last one's worker stopped (it was killed, hung or lost its database"
                    " past its lease, or handed it back as it shut down)."
                ),
                "lease_until": None,
                "completed_at": TRANSITION_TIME,
            },
        )
        if failed is None:
            return Outcome.ACK  # moved meanwhile (cancelled, or another worker gave up first)
        JOBS_FINISHED.labels(JobStatus.FAILED.value).inc()
        log.warning("job %s failed: its last attempt's worker stopped", job.id)
        await self._publish(failed)
        return Outcome.DEAD_LETTER

    def _gave_up(self, why: str) -> str:
        """A failed job's error once its attempts are spent."""
        spent = self.deps.settings.max_attempts
        return f"Gave up after {spent} attempt{'' if spent == 1 else 's'}: {why}"

    async def _ask_again_for_takeover(self, message: JobMessage) -> None:
        """The message comes back, to any worker, as a takeover once the job's worker would
        have gone quiet if it died (``db.workers``)."""
        with contextlib.suppress(BrokerUnavailable):  # the lease's end wakes it then
            await self.deps.broker.publish_job(
                message,
                delay=workers.SILENT_AFTER_SECONDS + 1,
                headers=carried_headers(**{TAKEOVER_HEADER: "1"}),
            )

    async def _wake_later(self, job: JobRecord) -> None:
        """The job is not ours to run now: ask for a wake-up when it may be."""
        wake_at = job.available_at if job.status is JobStatus.PENDING else job.lease_until
        if wake_at is None:
            return
        delay = max(0.0, (wake_at - utcnow()).total_seconds()) + 0.5
        with contextlib.suppress(BrokerUnavailable):  # the sweep publishes it later
            await self.deps.broker.publish_job(
                JobMessage(job.id, job.kind), delay=delay, headers=carried_headers()
            )

    async def _complete(self, stream: JobStream) -> Outcome:
        tail = stream.take_text()
        if not stream.has_text:
            await self._fail(stream, "The writer returned an empty letter.", tail=tail)
            return Outcome.ACK
        with span("complete"):
            done = await self._end(
                stream,
                JobStatus.COMPLETED,
                tail,
                {"progress": 1.0, **(usage_changes(stream.usage) if stream.usage else {})},
                text_columns=("partial_text", "cover_letter"),
            )
        if done is not None:
            observe_finished(stream, JobStatus.COMPLETED)
            log.info("letter completed: %d characters", stream.written)
        return Outcome.ACK

    async def _fail(self, stream: JobStream, reason: str, *, tail: str | None = None) -> bool:
        tail = stream.take_text() if tail is None else tail
        failed = await self._end(stream, JobStatus.FAILED, tail, {"error": reason})
        if failed is not None:
            observe_finished(stream, JobStatus.FAILED)
            # Not the reason: a provider's message may quote the prompt, CV and all.
            log.info("job %s failed", failed.id)
        return failed is not None

    async def _end(
        self,
        stream: JobStream,
        to: JobStatus,
        tail: str,
        changes: Mapping[str, object],
        *,
        text_columns: tuple[str, ...] = ("partial_text",),
    ) -> JobRecord | None:
        """The attempt's terminal transition, which stores ``tail``, the text not flushed yet
        (a one-piece letter's whole text; what a writer wrote just before it failed) in the
        same UPDATE: one statement, and its DELTA and the terminal event in one message,
        where a flush of its own was two. A failure kept only what was flushed before it, so
        the same answer left a failed job more or less text as its chunks came faster or
        slower."""
        progress = stream.progress()
        text = Sql("partial_text || :tail" if tail else "partial_text")
        ended = await jobs.transition(
            self.deps.db,
            stream.job.id,
            to,
            fence_attempts=stream.attempt,
            changes={
                **{column: text for column in text_columns},
                "lease_until": None,
                "completed_at": TRANSITION_TIME,
                **changes,
            },
            params={"tail": tail} if tail else None,
            changes_made=2 if tail else 1,
        )
        if ended is None:
            return None
        publish = self.deps.broker.publish_event
        status = ended.to_event(EventType.STATUS)
        if tail:
            delta = stream.delta_event(
                tail, seq=ended.seq - 1, at=ended.updated_at, progress=progress
            )
            # Tasks start in the order given, so both are queued before the publisher runs:
            # one message, in order.
            await asyncio.gather(publish(delta), publish(status))
        else:
            await publish(status)
        return ended

    async def _retry(self, stream: JobStream, retry: Retry) -> Outcome:
        job = stream.job
        settings = self.deps.settings
        if job.attempts - job.attempts_base >= settings.max_attempts:
            failed = await self._fail(stream, self._gave_up(retry.reason))
            return Outcome.DEAD_LETTER if failed else Outcome.ACK
        observe_retry(retry)  # a retry rescheduled: the last failure, above, is not one
        # Whole seconds: RabbitMQ holds a retry in a queue per whole second, and the
        # STATUS event's "Will retry in 1.4 s" came true at 2 s. A server's Retry-After
        # is the least it asks for: "0" sent every attempt at once, and the job failed.
        delay = math.ceil(max(self.backoff(job.attempts - job.attempts_base), retry.after or 0))
        retry_at = utcnow() + timedelta(seconds=delay)
        when = retry_at.isoformat(timespec="seconds").replace("+00:00", "Z")
        pending = await jobs.transition(
            self.deps.db,
            job.id,
            JobStatus.PENDING,
            fence_attempts=stream.attempt,
            only_from=frozenset({JobStatus.PROCESSING}),
            changes={
                "error": f"{retry.reason} Will retry in {delay} s, at {when}.",
                "partial_text": "",
                "progress": 0.0,
                "lease_until": None,
                "published_at": None,
                "available_at": retry_at,
            },
        )
        if pending is None:
            return Outcome.ACK
        # the cause, not the reason: a provider's message may quote the prompt
        log.info(
            "attempt %d failed (%s); the job runs again in %d s", job.attempts, retry.cause, delay
        )
        await self._publish(pending)
        await enqueue(self.deps.db, self.deps.broker, pending, delay=delay)
        return Outcome.ACK

    def backoff(self, attempt: int) -> float:
        """Exponential with full jitter over the upper half, capped."""
        settings = self.deps.settings
        ceiling = min(settings.retry_max_seconds, settings.retry_base_seconds * 2 ** (attempt - 1))
        return float(ceiling * random.uniform(0.5, 1.0))

    async def _publish(self, job: JobRecord) -> None:
        await self.deps.broker.publish_event(job.to_event(EventType.STATUS))


@contextlib.contextmanager
def _told_if_handed_back() -> Iterator[None]:
    """Only a stopping worker cancels a job, once its grace is over: said per job (the
    broker's own line only counts them), with the job's fields bound where the line is
    logged: an attempt's user and number once it has begun."""
    try:
        yield
    except asyncio.CancelledError:
        log.warning("handed back unfinished: the worker stops and its grace is over")
        raise
