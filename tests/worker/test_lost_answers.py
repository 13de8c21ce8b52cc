"""A claim or a restart committed by the database whose answer an outage lost.

The worker tried again, was told "not now" by its own committed write, and handed the
message back: the job then waited out a whole lease before anyone took it over, and spent
an attempt of its budget (with one attempt allowed, it FAILED). The worker now knows its
own write by the lease it set.
"""

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

import pytest

from db.connection import DatabaseUnavailable, Db
from tests.client import Api, assemble
from tests.conftest import StartApi, StartWorker

#: a statement of each kind, by a piece of its SQL text
CLAIM = "leased_by = :set_leased_by"
RESTART = "attempts_base = attempts_base + 1"
TEXT = "partial_text = partial_text ||"
END = "cover_letter = partial_text"
Letter = tuple[dict[str, Any], list[dict[str, Any]]]
#: long enough that a job waiting out its lease cannot pass the tests
LEASE_SECONDS = 300


class Faulty(Db):
    """The real database, but the first statement containing a ``refused`` text fails as
    in an outage, and the answer to the first containing a ``lost`` text is lost after it
    was committed (the connection dropped between the commit and the answer)."""

    def __init__(self, url: str, *, refused: str | None = None, lost: str | None = None) -> None:
        super().__init__(url)
        self.refused, self.lost = refused, lost

    async def _run(
        self, asyncpg_method: str, databases_method: str, sql: str, values: Mapping[str, Any] | None
    ) -> Any:
        if self.refused is not None and self.refused in sql:
            self.refused = None
            raise DatabaseUnavailable("database unavailable: refused by the test")
        answer = await super()._run(asyncpg_method, databases_method, sql, values)
        if self.lost is not None and self.lost in sql:
            self.lost = None
            raise DatabaseUnavailable("database unavailable: the answer was lost")
        return answer


async def _one_letter(api: Api, start_worker: StartWorker, faulty: Faulty) -> Letter:
    """A job followed from before its worker starts, on ``faulty``: every event is seen."""
    token = await api.register()
    job = await api.create_job(token)
    following = await api.following(token, job["id"], timeout=60)
    await start_worker(on=faulty, max_attempts=1, lease_seconds=LEASE_SECONDS)
    events = await asyncio.wait_for(following, 60)
    done = await api.job(token, job["id"])
    assert done is not None
    return done, events


async def test_a_claim_whose_answer_was_lost_runs_the_job_at_once(
    start_api: StartApi, start_worker: StartWorker, database_url_for_test: str
) -> None:
    api = await start_api()
    faulty = Faulty(database_url_for_test, lost=CLAIM)
    async with faulty:
        done, events = await _one_letter(api, start_worker, faulty)

    assert faulty.lost is None, "the claim's answer was lost"
    assert (done["status"], done["attempts"], done["error"]) == ("COMPLETED", 1, None)
    assert assemble(events) == done["coverLetter"]


async def test_a_restart_whose_answer_was_lost_writes_the_letter_at_once(
    start_api: StartApi, start_worker: StartWorker, database_url_for_test: str
) -> None:
    api = await start_api()
    faulty = Faulty(database_url_for_test, refused=TEXT, lost=RESTART)
    async with faulty:
        done, events = await _one_letter(api, start_worker, faulty)

    assert faulty.refused is None and faulty.lost is None, "both faults happened"
    assert (done["status"], done["attempts"], done["error"]) == ("COMPLETED", 2, None)
    started = [e["attempt"] for e in events if e["type"] == "STATUS" and e["text"] == ""]
    assert started[-1] == 2, "the restart was announced, text emptied"
    assert assemble(events) == done["coverLetter"]


async def test_an_end_whose_answer_was_lost_is_announced_and_the_outage_told_once(
    start_api: StartApi,
    start_worker: StartWorker,
    database_url_for_test: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Told "not now" by the restart, the worker handed the message back as if the outage
    # went on: a second "lost" and "back" for the one outage, and a redelivery to learn
    # what the row already said.
    api = await start_api()
    caplog.set_level(logging.INFO)
    faulty = Faulty(database_url_for_test, lost=END)
    async with faulty:
        done, events = await _one_letter(api, start_worker, faulty)
        # Read while the worker's database is still open: once it is closed under the
        # running worker, its next statement tells an outage of its own.
        told = [r.getMessage() for r in caplog.records if r.name == "core.outages"]

    assert faulty.lost is None, "the end's answer was lost"
    assert (done["status"], done["attempts"]) == ("COMPLETED", 1)
    assert (events[-1]["type"], events[-1]["status"]) == ("STATUS", "COMPLETED")
    assert assemble(events) == done["coverLetter"]
    assert [line.split(" (")[0].split(" after")[0] for line in told] == [
        "database connection lost",
        "database connection back",
    ], told
    assert not [r for r in caplog.records if "requeueing" in r.getMessage()]
