"""Postgres restarted: a clear, retryable error while it is down, recovery without restarts."""

import asyncio
import itertools
import logging
import random
from collections import Counter
from collections.abc import AsyncIterator

import pytest

from core.settings import Settings
from db import workers
from db.connection import DatabaseUnavailable, Db
from tests.client import LEGACY_WS, PROTOCOLS, assemble, closed_with
from tests.conftest import StartApi, StartWorker
from tests.faults.held import GatedWriter, letters_held_mid_way
from tests.faults.outages import postgres_down
from tests.waiting import until
from worker.writers.base import LetterRequest
from worker.writers.offline import OfflineWriter

pytestmark = pytest.mark.parametrize("stack", ["production"], indirect=True)


async def test_the_api_answers_internal_while_postgres_is_down_and_recovers(
    start_api: StartApi, caplog: pytest.LogCaptureFixture
) -> None:
    api = await start_api()
    token = await api.register()
    caplog.set_level(logging.WARNING, logger="schema.served")

    async with postgres_down():
        result = await api.execute("{ me { email } }", token=token)
        error = result["errors"][0]
        assert error["extensions"] == {"code": "INTERNAL", "retryable": True}
        assert error["message"] == "The service is temporarily unavailable; try again shortly."
        anonymous = await api.execute(
            'mutation { register(email: "x@example.com", password: "long enough") { token } }'
        )
        assert anonymous["errors"][0]["extensions"]["code"] == "INTERNAL"
        assert "asyncpg" not in str(anonymous) and "SELECT" not in str(anonymous)
    # one line per refused request, a query's as a mutation's (queries went untold)
    told = [r.getMessage() for r in caplog.records if r.name == "schema.served"]
    assert len(told) == 2 and all(m.startswith("refused: database unavailable") for m in told)

    for _ in range(50):  # the pool replaces its dead connections on its own
        if "errors" not in await api.execute("{ me { email } }", token=token):
            break
        await asyncio.sleep(0.2)
    assert (await api.data("{ me { email } }", token=token))["me"]["email"]


async def test_a_job_running_when_postgres_goes_down_is_retried_not_failed(
    start_api: StartApi, start_worker: StartWorker
) -> None:
    api = await start_api()
    writer = GatedWriter()
    await start_worker(writer)
    token = await api.register()
    job = await api.create_job(token)
    await asyncio.wait_for(writer.started.wait(), 10)

    async with postgres_down():
        writer.go_on.set()  # its next flush meets a dead database
        await asyncio.sleep(1.5)

    done = await api.wait_for_status(token, job["id"], "COMPLETED", timeout=30)
    assert done["error"] is None and done["attempts"] >= 2
    assert done["coverLetter"].startswith("Dear team, "), "one attempt's text, nothing half-written"
    assert done["coverLetter"].count("Dear team, ") == 1


class GatedEachCall:
    """Writes a few words, then waits for the test to open that call's gate."""

    def __init__(self) -> None:
        self.gates: list[asyncio.Event] = []

    @property
    def calls(self) -> int:
        return len(self.gates)

    async def write(self, request: LetterRequest) -> AsyncIterator[str]:
        gate = asyncio.Event()
        self.gates.append(gate)
        yield "Dear team, "
        await gate.wait()
        async for chunk in OfflineWriter().write(request):
            yield chunk

    def open(self, call: int) -> None:
        self.gates[call - 1].set()

    async def called(self, times: int, timeout: float = 10) -> None:
        await until(lambda: self.calls == times, timeout)

    async def close(self) -> None:
        pass


@pytest.mark.parametrize(
    "outages",
    [(1.5, 1.5), (workers.SILENT_AFTER_SECONDS + 2,)],
    ids=["two blips", "longer than a worker's silence"],
)
async def test_database_outages_mid_letter_spend_none_of_the_jobs_attempts(
    start_api: StartApi, start_worker: StartWorker, outages: tuple[float, ...]
) -> None:
    # The worker handed back the message of an attempt that met an outage; its redelivery
    # waited out the lease and took the job over at attempts + 1, spent from the budget:
    # a few blips during one letter failed it ("the last one's worker stopped"). Later,
    # an outage longer than SILENT_AFTER_SECONDS still did: the worker gave its restart
    # up once its own row looked silent, and handed the message back.
    api = await start_api()
    writer = GatedEachCall()
    await start_worker(writer, max_attempts=1, lease_seconds=120)
    token = await api.register()
    job = await api.create_job(token)
    await writer.called(1)
    following = await api.following(token, job["id"], timeout=60)

    for call, seconds in enumerate(outages, start=1):
        async with postgres_down():
            writer.open(call)  # what it writes next meets a dead database
            await asyncio.sleep(seconds)
        # written again by the same worker once the database answers, not after the lease
        await writer.called(call + 1, timeout=20)
    last = len(outages) + 1
    writer.open(last)

    done = await api.wait_for_status(token, job["id"], "COMPLETED", timeout=30)
    assert done["error"] is None and done["attempts"] == last and writer.calls == last
    assert done["coverLetter"].startswith("Dear team, ")
    assert done["coverLetter"].count("Dear team, ") == 1, "one attempt's text, nothing stale"
    events = await asyncio.wait_for(following, 30)
    restarts = [e for e in events if e["type"] == "STATUS" and e["status"] == "PROCESSING"]
    assert [(e["attempt"], e["text"]) for e in restarts][-len(outages) :] == [
        (attempt, "") for attempt in range(2, last + 1)
    ]
    assert assemble(events) == done["coverLetter"]


async def test_the_worker_tells_a_database_outage_once_not_once_per_job(
    start_api: StartApi, start_worker: StartWorker, caplog: pytest.LogCaptureFixture
) -> None:
    api = await start_api()
    token, jobs, writer = await letters_held_mid_way(api, start_worker, 4)
    caplog.set_level(logging.INFO)

    async with postgres_down():
        writer.go_on.set()  # each job's next flush meets a dead database
        await asyncio.sleep(4.5)

    for job in jobs:
        await api.wait_for_status(token, job["id"], "COMPLETED", timeout=30)
    from_worker = [
        r.getMessage()
        for r in caplog.records
        if r.name in ("worker.consumer", "core.outages") and r.levelno >= logging.WARNING
    ]
    assert [message.split(" (")[0].split(" after")[0] for message in from_worker] == [
        "database connection lost",
        "database connection back",
    ], from_worker
    written_again = [r for r in caplog.records if "met a database outage" in r.getMessage()]
    assert len(written_again) == 4, "each job that met it is told at INFO only"
    from_asyncpg = [r.getMessage() for r in caplog.records if r.name.startswith("asyncpg")]
    assert from_asyncpg == [], "its pool's tries to reconnect are not told again"


async def test_a_running_jobs_lease_renewals_tell_a_database_outage_once(
    start_api: StartApi, start_worker: StartWorker, caplog: pytest.LogCaptureFixture
) -> None:
    # Each renewal that met the outage logged a line of its own: every lease/3 seconds for
    # every running job.
    api = await start_api()
    writer = GatedWriter()
    await start_worker(writer, worker_concurrency=1, lease_seconds=1.5)
    token = await api.register()
    job = await api.create_job(token)
    await asyncio.wait_for(writer.started.wait(), 10)
    caplog.set_level(logging.INFO)

    async with postgres_down():
        await asyncio.sleep(3)  # six renewals meet the dead database
    await asyncio.sleep(1.5)  # and the next gets through
    writer.go_on.set()
    await api.wait_for_status(token, job["id"], "COMPLETED", timeout=30)

    told = [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.WARNING and r.name.startswith(("worker", "core.outages"))
    ]
    outage = [m.split(" (")[0].split(" after")[0] for m in told]
    assert outage == ["database connection lost", "database connection back"], told


async def test_an_idle_worker_tells_a_database_outage_once_not_every_sweep(
    start_worker: StartWorker, caplog: pytest.LogCaptureFixture
) -> None:
    await start_worker()  # its sweep runs every 0.5 s here
    caplog.set_level(logging.INFO)

    async with postgres_down():
        await asyncio.sleep(3)
    await asyncio.sleep(1.5)  # a sweep gets through again

    told = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    from_rounds = [m for m in told if m.startswith(("sweep", "purge"))]
    assert from_rounds == [], "a line every round, before"
    outage = [m.split(" (")[0].split(" after")[0] for m in told if "database connection" in m]
    assert outage == ["database connection lost", "database connection back"], told


async def test_every_statement_cut_short_by_a_restart_is_told_as_the_database_unavailable(
    settings: Settings,
) -> None:
    # Around a restart asyncpg raises its own InternalClientError now and then, from a
    # connection whose last statement was cut short; a worker took it for a fault in the
    # job and spent an attempt on it.
    assert settings.database_url is not None
    met: Counter[str] = Counter()
    restarted = asyncio.Event()

    async def statements(db: Db, first: int) -> None:
        for n in itertools.count(first):
            if restarted.is_set():
                return
            try:  # a new text each time, so most are prepared anew; some are cut short
                await asyncio.wait_for(
                    db.fetch_val(f"SELECT {n % 50}, pg_sleep(0.003)"),
                    random.choice([0.001, 0.002, 0.004, 0.1]),
                )
                met["answered"] += 1
            except TimeoutError:
                met["cut short"] += 1
            except DatabaseUnavailable:
                met["unavailable"] += 1
                await asyncio.sleep(0.01)

    async with Db(settings.database_url, pool_size=4) as db:
        running = asyncio.gather(*(statements(db, first) for first in range(8)))
        await asyncio.sleep(0.5)
        async with postgres_down():
            await asyncio.sleep(1)
        await asyncio.sleep(2)
        restarted.set()
        await running  # any other error fails the test here
    assert met["unavailable"] > 0 and met["answered"] > 0, met


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_socket_signing_in_while_postgres_is_down_is_told_to_try_again(
    start_api: StartApi, protocol: str, caplog: pytest.LogCaptureFixture
) -> None:
    # 4403 was sent, as to a forged token: the web page signs its user out on it.
    api = await start_api()
    token = await api.register()
    caplog.set_level(logging.WARNING, logger="api.graphql")
    message = "The service is temporarily unavailable; try again shortly."

    async with postgres_down(), api.socket(token, protocol) as socket:
        if protocol == LEGACY_WS:
            refused = await socket.receive(timeout=10)
            assert refused == {"type": "connection_error", "payload": {"message": message}}
        assert await closed_with(socket) == (1013, message)

    told = [r.getMessage() for r in caplog.records if r.name == "api.graphql"]
    assert len(told) == 1 and told[0].startswith("refused: database unavailable"), told
    async with api.socket(token, protocol) as again:  # the same token, once it is back
        await again.ack()


async def test_a_statement_past_its_timeout_is_the_database_unavailable(
    settings: Settings, db: Db
) -> None:
    # A PostgreSQL that hangs rather than refuses held every request for as long as it hung.
    assert settings.database_url is not None
    async with Db(settings.database_url, pool_size=1, statement_timeout=0.5) as slow:
        with pytest.raises(DatabaseUnavailable, match="TimeoutError"):
            await slow.fetch_val("SELECT pg_sleep(5)")

        assert await slow.fetch_val("SELECT 1") == 1, "the pool serves on"
