"""Door 7, erasure: deleteJob, deleteAccount, and the retention purge leave nothing readable."""

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import pytest
from websockets.exceptions import ConnectionClosed

from core.settings import Settings
from db import erasure
from db import jobs as db_jobs
from db.connection import Db, utcnow
from tests.client import JOB_EVENTS, PROTOCOLS, SAMPLE_INPUT, TRANSPORT_WS, Api, GraphQLErrors
from tests.conftest import StartApi, StartWorker
from tests.security.probes import (
    CREATE,
    LOGIN,
    MY_JOBS,
    assert_serves_an_honest_client,
    code,
    post,
    rows,
)
from worker.writers.base import LetterRequest
from worker.writers.offline import OfflineWriter

PASSWORD = "correct horse 1"
DELETE_ACCOUNT = "mutation($p: String!) { deleteAccount(password: $p) }"
CV = "Marker CV text 7f3a: data engineer, Airflow, Kafka."
READS = [
    "{ me { id email } }",
    "{ jobs { totalCount edges { node { id cvText } } } }",
]


SLOW = "Slow Corp"


class SlowForOneCompany:
    """Writes at once, except letters to ``SLOW``, which crawl (they stay PROCESSING)."""

    def __init__(self) -> None:
        self._offline = OfflineWriter()

    async def write(self, request: LetterRequest) -> AsyncIterator[str]:
        async for chunk in self._offline.write(request):
            if request.company_name == SLOW:
                await asyncio.sleep(0.2)
            yield chunk

    async def close(self) -> None:
        await self._offline.close()


async def _running_job(api: Api, token: str) -> str:
    job = await api.create_job(token, cvText=CV, companyName=SLOW)
    await api.wait_for_status(token, job["id"], "PROCESSING")
    return str(job["id"])


async def test_delete_job_cancels_a_running_job_and_erases_its_texts(
    start_api: StartApi, start_worker: StartWorker, db: Db
) -> None:
    api = await start_api()
    await start_worker(SlowForOneCompany())
    token = await api.register()
    job_id = await _running_job(api, token)

    async with api.socket(token) as socket:
        await socket.ack()
        stream = asyncio.create_task(socket.collect(JOB_EVENTS, {"id": job_id}))
        await asyncio.sleep(0.3)
        assert await api.data("mutation($id: ID!) { deleteJob(id: $id) }", {"id": job_id}, token)
        events = await asyncio.wait_for(stream, 10)

    assert events[-1]["status"] == "CANCELLED"  # the live stream ended, the worker was stopped
    assert await rows(db, "jobs") == 0
    assert await rows(db, "jobs", "cv_text LIKE :marker", marker="%7f3a%") == 0
    assert await api.job(token, job_id) is None
    again = await post(
        api, "mutation($id: ID!) { deleteJob(id: $id) }", {"id": job_id}, token=token
    )
    assert code(again) == "NOT_FOUND"
    with pytest.raises(GraphQLErrors) as gone:
        await api.job_events(token, job_id)
    assert gone.value.code == "NOT_FOUND"
    await asyncio.sleep(0.5)  # the worker's last writes find no row to bring back
    assert await rows(db, "jobs") == 0
    await assert_serves_an_honest_client(api)


async def test_delete_account_needs_the_password_and_is_throttled(
    start_api: StartApi, db: Db
) -> None:
    api = await start_api(login_failures_per_email=2)
    token = await api.register(password=PASSWORD)
    await api.create_job(token)

    for _ in range(2):
        wrong = await post(api, DELETE_ACCOUNT, {"p": "not my password"}, token=token)
        assert code(wrong) == "FORBIDDEN" and wrong["data"] is None
    limited = await post(api, DELETE_ACCOUNT, {"p": PASSWORD}, token=token)

    assert code(limited) == "RATE_LIMITED"
    assert await rows(db, "users") == 1 and await rows(db, "jobs") == 1
    assert (await api.data("{ me { id } }", token=token))["me"]["id"]
    await assert_serves_an_honest_client(api)


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_delete_account_erases_the_user_and_every_job_and_ends_their_sockets(
    start_api: StartApi, start_worker: StartWorker, db: Db, protocol: str
) -> None:
    api = await start_api()
    await start_worker(SlowForOneCompany())
    email = f"leaving-{protocol}@example.com"
    token = await api.register(email, PASSWORD)
    finished = await api.create_job(token, cvText=CV, companyName="Finished Corp")
    await api.wait_for_status(token, finished["id"], "COMPLETED")
    running = await _running_job(api, token)
    bystander = await api.register()
    theirs = await api.create_job(bystander)

    async with api.socket(token, protocol) as socket:
        await socket.ack()
        await socket.subscribe(MY_JOBS)
        assert (await api.data(DELETE_ACCOUNT, {"p": PASSWORD}, token))["deleteAccount"] is True
        with pytest.raises(ConnectionClosed) as closed:
            while True:  # the running job's CANCELLED may arrive first
                message = await socket.receive(timeout=10)
                assert message["type"] in ("next", "data"), message
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4403, "Account deleted")

    assert await rows(db, "users", "email = :email", email=email) == 0
    assert await rows(db, "jobs", "cv_text LIKE :marker", marker="%7f3a%") == 0
    for query in READS:
        assert code(await post(api, query, token=token)) == "UNAUTHENTICATED"
    # createCoverLetter does not read the account first: its INSERT finds it gone.
    created = await post(api, CREATE, {"i": SAMPLE_INPUT}, token=token)
    assert (code(created), created["data"]) == ("UNAUTHENTICATED", None)
    for job_id in (finished["id"], running):
        result = await post(
            api, "query($id: ID!) { job(id: $id) { id } }", {"id": job_id}, token=token
        )
        assert code(result) == "UNAUTHENTICATED"
    async with api.socket(token, TRANSPORT_WS) as refused:
        with pytest.raises(ConnectionClosed):
            await refused.receive(timeout=5)
    assert code(await post(api, LOGIN, {"e": email, "p": PASSWORD})) == "UNAUTHENTICATED"
    await asyncio.sleep(0.5)  # the cancelled attempt's last writes bring nothing back
    assert await rows(db, "jobs", "cv_text LIKE :marker", marker="%7f3a%") == 0
    assert await api.job(bystander, theirs["id"]) is not None

    # The address is free for a new account, which sees nothing of the old one.
    fresh = await api.register(email, PASSWORD)
    assert (await api.data(READS[1], token=fresh))["jobs"]["totalCount"] == 0
    await assert_serves_an_honest_client(api)


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_delete_account_sent_over_a_socket_answers_then_closes_that_socket(
    start_api: StartApi, db: Db, protocol: str
) -> None:
    api = await start_api()
    email = f"leaving-by-socket-{protocol}@example.com"
    token = await api.register(email, PASSWORD)

    async with api.socket(token, protocol) as socket:
        await socket.ack()
        operation = await socket.subscribe(DELETE_ACCOUNT, {"p": PASSWORD})
        answer = await socket.next_payload(operation, timeout=10)
        assert answer == {"data": {"deleteAccount": True}}
        assert await socket.next_payload(operation, timeout=10) is None  # complete
        with pytest.raises(ConnectionClosed) as closed:
            await socket.receive(timeout=5)  # not the 30 s of the periodic check
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4403, "Account deleted")
    assert await rows(db, "users", "email = :email", email=email) == 0


async def test_a_refused_delete_account_over_a_socket_leaves_it_open(
    start_api: StartApi, db: Db
) -> None:
    api = await start_api()
    token = await api.register("staying@example.com", PASSWORD)

    async with api.socket(token, TRANSPORT_WS) as socket:
        await socket.ack()
        operation = await socket.subscribe(DELETE_ACCOUNT, {"p": "not the password"})
        with pytest.raises(GraphQLErrors) as refused:
            await socket.next_payload(operation, timeout=10)
        assert refused.value.errors[0]["extensions"]["code"] == "FORBIDDEN"
        assert await socket.next_payload(operation, timeout=10) is None
        me = await socket.subscribe("{ me { email } }")
        assert await socket.next_payload(me, timeout=10) == {
            "data": {"me": {"email": "staying@example.com"}}
        }
    assert await rows(db, "users", "email = :email", email="staying@example.com") == 1


async def test_finished_jobs_older_than_the_retention_are_purged(
    start_api: StartApi, start_worker: StartWorker, db: Db
) -> None:
    api = await start_api()
    token = await api.register()
    old, recent, waiting = [(await api.create_job(token))["id"] for _ in range(3)]
    for job_id in (old, recent):
        await api.data("mutation($id: ID!) { cancelJob(id: $id) { id } }", {"id": job_id}, token)
    long_ago = db.time(utcnow() - timedelta(days=31))
    for job_id in (old, waiting):
        # As a job of a month ago has them: created, due and last changed then.
        await db.execute(
            "UPDATE jobs SET updated_at = :t, created_at = :t, available_at = :t WHERE id = :id",
            {"t": long_ago, "id": job_id},
        )

    await start_worker(retention_days=30, purge_interval_seconds=0.1, sweep_interval_seconds=60)
    for _ in range(100):
        if await rows(db, "jobs", "id = :id", id=old) == 0:
            break
        await asyncio.sleep(0.1)

    assert await rows(db, "jobs", "id = :id", id=old) == 0
    assert await api.job(token, old) is None
    assert await api.job(token, recent) is not None  # finished, but within the retention
    assert await api.job(token, waiting) is not None  # old, but not finished


@pytest.mark.parametrize("stack", ["production"], indirect=True)
async def test_a_job_retried_as_the_purge_chooses_it_is_kept(
    start_api: StartApi, db: Db, settings: Settings
) -> None:
    # The purge picked a cancelled month-old job; its owner's retry committed before the
    # DELETE reached the row, and the job retryJob had just called PENDING was deleted.
    api = await start_api()
    token = await api.register()
    job_id = (await api.create_job(token))["id"]
    await api.data("mutation($id: ID!) { cancelJob(id: $id) { id } }", {"id": job_id}, token)
    long_ago = db.time(utcnow() - timedelta(days=31))
    await db.execute(
        "UPDATE jobs SET updated_at = :t, created_at = :t, available_at = :t WHERE id = :id",
        {"t": long_ago, "id": job_id},
    )
    assert settings.database_url is not None
    holder = await asyncpg.connect(settings.database_url)
    try:
        # Another statement holds the row, so the retry and then the purge queue behind it
        # in that order, and meet as they would by chance.
        holding = holder.transaction()
        await holding.start()
        await holder.execute("UPDATE jobs SET error = error WHERE id = $1", job_id)
        retry = asyncio.create_task(
            api.data("mutation($id: ID!) { retryJob(id: $id) { status } }", {"id": job_id}, token)
        )
        await _waiting_for_locks(holder, 1)
        purge = asyncio.create_task(
            erasure.purge_finished_jobs(db, older_than=utcnow() - timedelta(days=30))
        )
        await _waiting_for_locks(holder, 2)
        await holding.commit()
        retried, purged = await retry, await purge
    finally:
        await holder.close()

    assert retried == {"retryJob": {"status": "PENDING"}}
    assert purged == 0
    job = await api.job(token, job_id)
    assert job is not None and job["status"] == "PENDING"


async def _waiting_for_locks(connection: asyncpg.Connection, count: int) -> None:
    for _ in range(200):
        # Inside a transaction the activity view is read once; cleared, it is read anew.
        await connection.execute("SELECT pg_stat_clear_snapshot()")
        waiting = await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        if waiting >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"fewer than {count} statements came to wait for the row")


@pytest.mark.parametrize(
    ("beside", "answer"),
    [
        # A delete and a retry of a running job, in either order: CONFLICT (running) or
        # NOT_FOUND (erased), never a retry of a job being erased.
        ("mutation($id: ID!) { retryJob(id: $id) { status } }", {"CONFLICT", "NOT_FOUND"}),
        # A delete and a cancel: the cancel first succeeds, or finds nothing; never CONFLICT.
        ("mutation($id: ID!) { cancelJob(id: $id) { status } }", {"ok", "NOT_FOUND"}),
    ],
)
async def test_a_job_being_deleted_is_never_seen_half_deleted(
    start_api: StartApi,
    start_worker: StartWorker,
    db: Db,
    monkeypatch: pytest.MonkeyPatch,
    beside: str,
    answer: set[str],
) -> None:
    # deleteJob cancelled a running job, committed, then erased it: a retry in between
    # found it CANCELLED, answered PENDING and sent it to a worker, which called the model
    # for a job that was then erased; a cancel in between was told CONFLICT.
    api = await start_api()
    await start_worker(SlowForOneCompany())
    token = await api.register()
    job_id = await _running_job(api, token)
    erasing = asyncio.Event()
    erase = asyncio.Event()
    deleted = db_jobs.delete_job

    async def erased_when_let(db_: Db, job: str, *, user_id: str) -> db_jobs.JobRecord | None:
        erasing.set()
        await erase.wait()
        return await deleted(db_, job, user_id=user_id)

    monkeypatch.setattr(db_jobs, "delete_job", erased_when_let)
    deleting = asyncio.create_task(
        api.data("mutation($id: ID!) { deleteJob(id: $id) }", {"id": job_id}, token)
    )
    await asyncio.wait_for(erasing.wait(), 10)
    result = await post(api, beside, {"id": job_id}, token=token)
    erase.set()

    assert await deleting == {"deleteJob": True}
    assert ("ok" if "errors" not in result else code(result)) in answer, result
    assert await api.job(token, job_id) is None
    await asyncio.sleep(0.5)  # nothing brings the job back
    assert await rows(db, "jobs") == 0
