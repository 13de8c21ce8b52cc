"""A worker says it is alive; one whose database hangs for it alone takes no job."""

import logging
from collections.abc import Mapping

import pytest

from broker.base import Delivery, JobMessage, Outcome
from broker.memory import MemoryBroker
from core.jobs import JobKind, JobStatus
from core.settings import Settings
from db import jobs, workers
from db.connection import Db
from tests.db.tables import add_user
from tests.db.test_takeover import running_job
from tests.doors import LateDoor
from worker.consumer import TAKEOVER_HEADER, Worker
from worker.deps import WorkerDeps
from worker.handlers import HANDLERS
from worker.presence import Presence
from worker.writers.offline import OfflineWriter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _pending_job(db: Db, email: str) -> str:
    owner = await add_user(db, email)
    new = jobs.NewJob(owner, JobKind.COVER_LETTER, "FORMAL", "jd", "cv", None, None, None)
    placed = await jobs.insert_job(db, new)
    assert placed is not None
    return placed[0].id


@pytest.mark.parametrize("stack", ["production"], indirect=True)
async def test_a_worker_whose_database_hangs_for_it_alone_hands_messages_back_untouched(
    db: Db, settings: Settings, database_url_for_test: str
) -> None:
    # Its database connection hung with no error: the claim waited as long, holding the
    # sweep's wake-up from the workers that could take the job over (200 s, in one run).
    job_id = await _pending_job(db, "cut-off@example.com")
    door = LateDoor(database_url_for_test)
    await door.open()
    try:
        async with Db(door.url) as its_own:
            deps = WorkerDeps(
                db=its_own, broker=MemoryBroker(), writer=OfflineWriter(), settings=settings
            )
            clock = Clock()
            presence = Presence(its_own, deps.worker_id, clock=clock)
            worker = Worker(deps, HANDLERS, presence=presence)
            message = Delivery(JobMessage(job_id, JobKind.COVER_LETTER).to_json())
            await presence.write()

            door.freeze()
            clock.now += workers.SILENT_AFTER_SECONDS + 1
            handed_back = await worker.handle(message)
            untouched = await jobs.get_job(db, job_id)
            door.thaw()
            await presence.write()
            handled = await worker.handle(message)
    finally:
        await door.close()

    assert handed_back is Outcome.REQUEUE
    assert untouched is not None and untouched.attempts == 0
    assert handled is Outcome.ACK
    done = await jobs.get_job(db, job_id)
    assert done is not None and done.status is JobStatus.COMPLETED


async def test_a_worker_back_from_an_outage_everyone_saw_takes_its_messages_at_once(
    db: Db, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    # Its rows went unwritten through a database outage longer than 6 s, and its rounds
    # write it only every few seconds: until then each message was handed back, and the
    # outage told again, as if the database hung for this worker alone.
    job_id = await _pending_job(db, "back@example.com")
    deps = WorkerDeps(db=db, broker=MemoryBroker(), writer=OfflineWriter(), settings=settings)
    clock = Clock()
    presence = Presence(db, deps.worker_id, clock=clock)
    worker = Worker(deps, HANDLERS, presence=presence)
    await presence.write()
    caplog.set_level(logging.INFO)

    clock.now += workers.SILENT_AFTER_SECONDS + 1  # the outage, now over
    handled = await worker.handle(Delivery(JobMessage(job_id, JobKind.COVER_LETTER).to_json()))

    assert handled is Outcome.ACK
    done = await jobs.get_job(db, job_id)
    assert done is not None and done.status is JobStatus.COMPLETED
    assert [r.getMessage() for r in caplog.records if r.name == "core.outages"] == []


class RecordingBroker(MemoryBroker):
    """Keeps every job message published, with its delay and headers."""

    def __init__(self) -> None:
        super().__init__()
        self.published: list[tuple[JobMessage, float, dict[str, str]]] = []

    async def publish_job(
        self, message: JobMessage, *, delay: float = 0.0, headers: Mapping[str, str] | None = None
    ) -> None:
        self.published.append((message, delay, dict(headers or {})))


async def test_a_takeover_asked_again_later_keeps_the_request_id_of_the_job(
    db: Db, settings: Settings
) -> None:
    # Redelivered while its worker may still be alive, the message comes back later: it
    # came back without the request id, so the next attempts' lines named no request.
    job_id = await running_job(db, "holder")
    await workers.seen(db, "holder")
    broker = RecordingBroker()
    deps = WorkerDeps(db=db, broker=broker, writer=OfflineWriter(), settings=settings)
    redelivered = Delivery(
        JobMessage(job_id, JobKind.COVER_LETTER).to_json(),
        redelivered=True,
        headers={"x-request-id": "req-42"},
    )

    outcome = await Worker(deps, HANDLERS).handle(redelivered)

    assert outcome is Outcome.ACK
    ((message, delay, headers),) = broker.published
    assert message.job_id == job_id and delay > workers.SILENT_AFTER_SECONDS
    assert headers["x-request-id"] == "req-42" and TAKEOVER_HEADER in headers
