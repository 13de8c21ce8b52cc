"""The consumer loop: poison messages, duplicates, empty letters, transient errors."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from prometheus_client import REGISTRY

from broker.base import Broker, Delivery, JobMessage, Outcome
from core.events import EventType, JobEvent
from core.jobs import JobKind
from db import jobs
from db.connection import Db, utcnow
from tests.client import Api
from tests.conftest import StartApi, StartWorker
from worker.outcomes import Retry
from worker.writers.base import LetterRequest


async def publish_raw(broker: Broker, body: bytes) -> None:
    await broker.publish_raw(body)  # type: ignore[attr-defined]


async def test_poison_messages_are_dead_lettered_and_the_worker_keeps_consuming(
    api: Api, broker: Broker
) -> None:
    not_json = b"\x00\xffnot json"
    unknown_kind = json.dumps({"job_id": str(uuid.uuid4()), "kind": "horoscope"}).encode()
    missing_job = JobMessage(str(uuid.uuid4()), JobKind.COVER_LETTER).to_json()
    for body in (not_json, unknown_kind, missing_job, b'{"job_id": 7}'):
        await publish_raw(broker, body)

    token = await api.register()
    job = await api.create_job(token)
    done = await api.wait_for_status(token, job["id"], "COMPLETED")

    assert done["coverLetter"]
    dead = await broker.dead_letters()
    assert not_json in dead and unknown_kind in dead and b'{"job_id": 7}' in dead
    assert missing_job not in dead, "a message for a job that does not exist is dropped, not parked"


async def test_a_duplicate_message_for_a_finished_job_changes_nothing(
    api: Api, broker: Broker, db: Db
) -> None:
    token = await api.register()
    job = await api.create_job(token)
    done = await api.wait_for_status(token, job["id"], "COMPLETED")

    await broker.publish_job(JobMessage(job["id"], JobKind.COVER_LETTER))
    second = await api.create_job(token)
    await api.wait_for_status(token, second["id"], "COMPLETED")

    again = await api.job(token, job["id"])
    assert again == done


async def test_a_redelivered_message_of_a_finished_job_announces_its_final_state_again(
    api: Api, broker: Broker, start_worker: StartWorker
) -> None:
    # A worker killed after committing COMPLETED but before publishing it leaves its
    # message unacked; whoever gets it again must announce what the subscribers missed.
    token = await api.register()
    job = await api.create_job(token)
    done = await api.wait_for_status(token, job["id"], "COMPLETED")
    worker = await start_worker()
    announced: list[JobEvent] = []
    heard = asyncio.Event()

    async def listen() -> None:
        async for event in broker.events():
            if isinstance(event, JobEvent) and event.job_id == job["id"]:
                announced.append(event)
                heard.set()

    listener = asyncio.create_task(listen())
    await asyncio.sleep(0.5)  # the listener's queue is bound
    body = JobMessage(job["id"], JobKind.COVER_LETTER).to_json()

    first_time = await worker.handle(Delivery(body))
    await asyncio.sleep(0.5)
    assert first_time is Outcome.ACK and announced == []
    again = await worker.handle(Delivery(body, redelivered=True))
    await asyncio.wait_for(heard.wait(), 10)
    listener.cancel()

    assert again is Outcome.ACK
    [event] = announced
    assert (event.type, event.status, event.seq) == (EventType.STATUS, "COMPLETED", done["seq"])
    assert event.text == done["coverLetter"]


async def test_a_message_that_comes_before_its_job_is_due_wakes_the_job_when_it_is(
    start_api: StartApi, start_worker: StartWorker, db: Db
) -> None:
    # A retry's message can arrive early (a sweep, a duplicate): the worker must not run the
    # job yet, nor drop it, but ask to be woken when the job is due.
    api = await start_api()
    token = await api.register()
    job = await api.create_job(token)
    due_at = utcnow() + timedelta(seconds=2)
    await db.execute(
        "UPDATE jobs SET available_at = :due_at WHERE id = :id",
        {"due_at": db.time(due_at), "id": job["id"]},
    )

    await start_worker()
    await asyncio.sleep(1)
    waiting = await api.job(token, job["id"])
    done = await api.wait_for_status(token, job["id"], "COMPLETED")

    assert waiting is not None
    assert (waiting["status"], waiting["attempts"]) == ("PENDING", 0)
    assert done["attempts"] == 1
    record = await jobs.get_job(db, job["id"])
    assert record is not None and record.updated_at >= due_at


class EmptyWriter:
    async def write(self, request: LetterRequest) -> AsyncIterator[str]:
        for chunk in ("", "  ", "\n"):
            yield chunk

    async def close(self) -> None:
        pass


async def test_an_empty_letter_fails_the_job_with_a_readable_error(
    start_api: StartApi, start_worker: StartWorker
) -> None:
    api = await start_api()
    await start_worker(EmptyWriter())
    token = await api.register()
    job = await api.create_job(token)

    failed = await api.wait_for_status(token, job["id"], "FAILED")

    assert failed["error"] == "The writer returned an empty letter."
    assert failed["attempts"] == 1 and failed["coverLetter"] is None


class BrokenWriter:
    """A bug: fails every time with an error that quotes the letter."""

    async def write(self, request: LetterRequest) -> AsyncIterator[str]:
        yield "Dear team, "
        text = " ".join(["my", "private", "letter"])  # not in this line as the log quotes it
        raise ValueError(f"cannot store {text!r}")

    async def close(self) -> None:
        pass


async def test_an_unexpected_failure_is_an_attempt_of_the_budget_and_logs_no_letter(
    start_api: StartApi, start_worker: StartWorker, caplog: pytest.LogCaptureFixture
) -> None:
    # Handed back to the broker, such a message came back as a takeover, attempts + 1,
    # without end; and its traceback quoted the text.
    api = await start_api()
    await start_worker(BrokenWriter(), max_attempts=3)
    token = await api.register()
    job = await api.create_job(token)

    failed = await api.wait_for_status(token, job["id"], "FAILED")

    assert failed["attempts"] == 3
    assert failed["error"] == "Gave up after 3 attempts: The worker failed (ValueError)."
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "ValueError (its message withheld)" in logged
    assert "private letter" not in logged and "private letter" not in caplog.text


async def test_a_budget_of_one_attempt_is_told_in_the_singular(
    start_api: StartApi, start_worker: StartWorker
) -> None:
    api = await start_api()
    await start_worker(BrokenWriter(), max_attempts=1)
    token = await api.register()
    job = await api.create_job(token)

    failed = await api.wait_for_status(token, job["id"], "FAILED")

    assert failed["attempts"] == 1
    assert failed["error"] == "Gave up after 1 attempt: The worker failed (ValueError)."


class FlakyWriter:
    """Fails transiently after a few words, ``failures`` times, then writes."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    async def write(self, request: LetterRequest) -> AsyncIterator[str]:
        self.calls += 1
        yield f"Attempt {self.calls} says hello. "
        if self.calls <= self.failures:
            raise Retry("The writer timed out.", after=0.2)
        yield "Dear team, this letter is complete."

    async def close(self) -> None:
        pass


async def test_a_transient_error_retries_from_empty_text_with_a_new_attempt(
    start_api: StartApi, start_worker: StartWorker
) -> None:
    api = await start_api()
    await start_worker(FlakyWriter(failures=2))
    token = await api.register()
    job = await api.create_job(token)

    done = await api.wait_for_status(token, job["id"], "COMPLETED")

    assert done["attempts"] == 3
    assert done["coverLetter"] == "Attempt 3 says hello. Dear team, this letter is complete."


async def test_a_retry_says_when_it_will_run_in_whole_seconds_and_runs_then(
    start_api: StartApi, start_worker: StartWorker
) -> None:
    # A delay of 0.2 s waits a whole second in RabbitMQ (a queue per whole second): the
    # event said "Will retry in 0.2 s" and it came true a second later.
    api = await start_api()
    await start_worker(FlakyWriter(failures=1))
    token = await api.register()
    job = await api.create_job(token)

    events = await api.job_events(token, job["id"])

    # Timed by the events' own clock (each change's commit), not by when they reached this
    # client: a PENDING event held up on a busy machine made the wait look shorter.
    waiting = next(e for e in events if e["status"] == "PENDING" and e["error"])
    retried = next(e for e in events if e["attempt"] == 2)
    assert "Will retry in 1 s, at " in waiting["error"], waiting["error"]
    waited = datetime.fromisoformat(retried["at"]) - datetime.fromisoformat(waiting["at"])
    assert waited.total_seconds() >= 0.9


def retries_counted(cause: str) -> float:
    value = REGISTRY.get_sample_value("careerops_writer_retries_total", {"cause": cause})
    return value or 0.0


async def test_attempts_exhausted_fail_the_job_and_dead_letter_its_message(
    start_api: StartApi, start_worker: StartWorker, broker: Broker
) -> None:
    api = await start_api()
    await start_worker(FlakyWriter(failures=99), max_attempts=3)
    token = await api.register()
    retries_before = retries_counted("transient")
    job = await api.create_job(token)

    failed = await api.wait_for_status(token, job["id"], "FAILED")

    assert failed["attempts"] == 3
    assert retries_counted("transient") - retries_before == 2, "rescheduled twice, then failed"
    assert failed["error"].startswith("Gave up after 3 attempts: The writer timed out.")
    await asyncio.sleep(0.2)
    assert JobMessage(job["id"], JobKind.COVER_LETTER).to_json() in await broker.dead_letters()
