"""A worker says it is alive; one whose database hangs for it alone takes no job."""

from collections.abc import Mapping

from broker.base import Delivery, JobMessage, Outcome
from broker.memory import MemoryBroker
from core.jobs import JobKind, JobStatus
from core.settings import Settings
from db import jobs, workers
from db.connection import Db
from tests.db.tables import add_user
from tests.db.test_takeover import running_job
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


async def test_a_worker_whose_row_goes_unwritten_hands_messages_back_untouched(
    db: Db, settings: Settings
) -> None:
    # Its database connection hung with no error: the claim waited as long, holding the
    # sweep's wake-up from the workers that could take the job over (200 s, in one run).
    owner = await add_user(db, "cut-off@example.com")
    new = jobs.NewJob(owner, JobKind.COVER_LETTER, "FORMAL", "jd", "cv", None, None, None)
    placed = await jobs.insert_job(db, new)
    assert placed is not None
    deps = WorkerDeps(db=db, broker=MemoryBroker(), writer=OfflineWriter(), settings=settings)
    clock = Clock()
    presence = Presence(db, deps.worker_id, clock=clock)
    worker = Worker(deps, HANDLERS, presence=presence)
    message = Delivery(JobMessage(placed[0].id, JobKind.COVER_LETTER).to_json())
    await presence.write()

    clock.now += workers.SILENT_AFTER_SECONDS + 1
    handed_back = await worker.handle(message)
    untouched = await jobs.get_job(db, placed[0].id)
    await presence.write()
    handled = await worker.handle(message)

    assert handed_back is Outcome.REQUEUE
    assert untouched is not None and untouched.attempts == 0
    assert handled is Outcome.ACK
    done = await jobs.get_job(db, placed[0].id)
    assert done is not None and done.status is JobStatus.COMPLETED


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
