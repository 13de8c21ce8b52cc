"""Door 5, abuse limits: jobs, body size, query shape, introspection, hints, masked errors."""

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import strawberry.schema.schema

import db.jobs
import db.users
from db import jobs as stored_jobs
from db.connection import Db
from tests.client import (
    JOB_EVENTS,
    PROTOCOLS,
    SAMPLE_INPUT,
    TRANSPORT_WS,
    Api,
    GraphQLErrors,
    Json,
    refusal,
)
from tests.conftest import StartApi, StartWorker
from tests.security.probes import CREATE, assert_serves_an_honest_client, code, post, rows


async def test_jobs_per_user_per_minute_are_limited(start_api: StartApi, db: Db) -> None:
    api = await start_api(jobs_per_minute=3, max_active_jobs=0)
    token = await api.register()
    first = await api.create_job(token, idempotency_key="first")
    for _ in range(2):
        await api.create_job(token)

    limited = await post(api, CREATE, {"i": SAMPLE_INPUT}, token=token)

    assert code(limited) == "RATE_LIMITED" and limited["data"] is None
    assert 0 < limited["errors"][0]["extensions"]["retryAfter"] <= 60
    assert await rows(db, "jobs") == 3
    # Repeating an accepted request is free: its key names the job already made.
    assert (await api.create_job(token, idempotency_key="first"))["id"] == first["id"]
    await assert_serves_an_honest_client(api)


async def test_a_repeat_whose_job_is_deleted_as_it_comes_places_no_job_past_the_minute(
    start_api: StartApi, db: Db, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A repeat is free. Found by its key, then deleted by a deleteJob beside it before the
    # INSERT, it placed a new job that took no slot: the minute's limit, bypassed.
    api = await start_api(jobs_per_minute=1, max_active_jobs=0)
    token = await api.register()
    first = await api.create_job(token, idempotency_key="again")
    looked_up = stored_jobs.job_with_idempotency_key

    async def deleted_once_found(db_: Db, user_id: str, key: str) -> stored_jobs.JobRecord | None:
        found = await looked_up(db_, user_id, key)
        if found is not None:
            await stored_jobs.delete_job(db_, found.id, user_id=user_id)
        return found

    monkeypatch.setattr(stored_jobs, "job_with_idempotency_key", deleted_once_found)
    repeat = await post(api, CREATE, {"i": SAMPLE_INPUT, "k": "again"}, token=token)

    assert repeat["data"]["createCoverLetter"]["id"] == first["id"], repeat
    assert await rows(db, "jobs") == 0, "answered with the job it named; none placed"
    limited = await post(api, CREATE, {"i": SAMPLE_INPUT}, token=token)
    assert code(limited) == "RATE_LIMITED"


async def test_one_new_key_sent_together_takes_one_slot_of_the_minute(
    start_api: StartApi,
) -> None:
    # Requests no longer take turns in the process: each found the key unused and took a
    # slot, and only one placed the job; the others are repeats, which are free.
    api = await start_api(jobs_per_minute=2, max_active_jobs=0)
    token = await api.register()
    together = await asyncio.gather(
        *(post(api, CREATE, {"i": SAMPLE_INPUT, "k": "once"}, token=token) for _ in range(5))
    )
    second = await post(api, CREATE, {"i": SAMPLE_INPUT}, token=token)
    third = await post(api, CREATE, {"i": SAMPLE_INPUT}, token=token)

    assert len({r["data"]["createCoverLetter"]["id"] for r in together}) == 1, together
    assert "errors" not in second, second  # the minute's second job
    assert code(third) == "RATE_LIMITED"


async def test_a_limit_of_one_job_a_minute_is_told_in_the_singular(start_api: StartApi) -> None:
    api = await start_api(jobs_per_minute=1, max_active_jobs=0)
    token = await api.register()
    await api.create_job(token)

    limited = await post(api, CREATE, {"i": SAMPLE_INPUT}, token=token)

    assert limited["errors"][0]["message"] == "At most 1 letter a minute; try again shortly."


async def test_active_jobs_per_user_are_limited(start_api: StartApi, db: Db) -> None:
    api = await start_api(max_active_jobs=2, jobs_per_minute=0)  # no worker: jobs stay PENDING
    token = await api.register()
    jobs = [await api.create_job(token) for _ in range(2)]

    limited = await post(api, CREATE, {"i": SAMPLE_INPUT}, token=token)
    assert code(limited) == "RATE_LIMITED"
    assert limited["errors"][0]["extensions"]["retryAfter"] > 0
    assert await rows(db, "jobs") == 2

    cancel = "mutation($id: ID!) { cancelJob(id: $id) { status } }"
    await api.data(cancel, {"id": jobs[0]["id"]}, token)
    await api.create_job(token)  # a finished job frees its slot...
    retry = await post(
        api, "mutation($id: ID!) { retryJob(id: $id) { id } }", {"id": jobs[0]["id"]}, token=token
    )
    assert code(retry) == "RATE_LIMITED"  # ...and a retry needs one, like a new job
    await assert_serves_an_honest_client(api)


async def test_the_active_limit_holds_for_requests_sent_together(
    start_api: StartApi, db: Db
) -> None:
    api = await start_api(max_active_jobs=3, jobs_per_minute=0)  # no worker: jobs stay PENDING
    token = await api.register()
    cancel = "mutation($id: ID!) { cancelJob(id: $id) { status } }"
    retry = "mutation($id: ID!) { retryJob(id: $id) { id } }"

    created = await asyncio.gather(
        *(post(api, CREATE, {"i": SAMPLE_INPUT}, token=token) for _ in range(20))
    )
    placed = [r["data"]["createCoverLetter"]["id"] for r in created if not r.get("errors")]
    for job_id in placed:
        await api.data(cancel, {"id": job_id}, token)
    more = [(await api.create_job(token))["id"] for _ in range(3)]
    for job_id in more:
        await api.data(cancel, {"id": job_id}, token)
    retried = await asyncio.gather(
        *(post(api, retry, {"id": job_id}, token=token) for job_id in placed + more)
    )

    assert len(placed) == 3
    assert {code(r) for r in created if r.get("errors")} == {"RATE_LIMITED"}
    assert sum(not r.get("errors") for r in retried) == 3
    assert {code(r) for r in retried if r.get("errors")} == {"RATE_LIMITED"}
    assert await rows(db, "jobs", "status = 'PENDING'") == 3


async def test_a_job_refused_for_the_active_limit_takes_no_slot_of_the_minute(
    start_api: StartApi, db: Db
) -> None:
    api = await start_api(max_active_jobs=1, jobs_per_minute=3)  # no worker: jobs wait
    token = await api.register()
    first = await api.create_job(token)
    refusals = [await post(api, CREATE, {"i": SAMPLE_INPUT}, token=token) for _ in range(3)]
    cancel = "mutation($id: ID!) { cancelJob(id: $id) { status } }"
    await api.data(cancel, {"id": first["id"]}, token)

    second = await post(api, CREATE, {"i": SAMPLE_INPUT}, token=token)

    assert [r["errors"][0]["message"] for r in refusals] == [
        "At most 1 letter can be in progress at once; wait for one to finish."
    ] * 3
    assert "errors" not in second, second  # the minute's second job, not its fifth
    assert await rows(db, "jobs") == 2


async def test_requests_sent_together_over_the_active_limit_are_told_so_not_a_minute(
    start_api: StartApi,
) -> None:
    # Refused for the active limit, a request held its slot of the minute only until it was
    # refused; requests beside it were told "a minute" (retryAfter 60) for slots never used.
    api = await start_api(max_active_jobs=2, jobs_per_minute=3)  # no worker: jobs wait
    token = await api.register()

    created = await asyncio.gather(
        *(post(api, CREATE, {"i": SAMPLE_INPUT}, token=token) for _ in range(10))
    )
    placed = [r["data"]["createCoverLetter"]["id"] for r in created if not r.get("errors")]
    await api.data("mutation($id: ID!) { cancelJob(id: $id) { status } }", {"id": placed[0]}, token)
    third = await post(api, CREATE, {"i": SAMPLE_INPUT}, token=token)

    assert len(placed) == 2
    assert {r["errors"][0]["message"] for r in created if r.get("errors")} == {
        "At most 2 letters can be in progress at once; wait for one to finish."
    }
    assert "errors" not in third, "the minute's third slot was still free"


RETRY = "mutation($id: ID!) { retryJob(id: $id) { id status } }"


async def test_a_retry_refused_for_the_jobs_state_is_a_conflict_and_costs_no_slot(
    start_api: StartApi, start_worker: StartWorker
) -> None:
    api = await start_api(max_active_jobs=1, jobs_per_minute=2)
    await start_worker()
    token = await api.register()
    done = await api.create_job(token)
    await api.wait_for_status(token, done["id"], "COMPLETED")

    refusals = [await post(api, RETRY, {"id": done["id"]}, token=token) for _ in range(3)]
    second = await api.create_job(token)

    assert [code(r) for r in refusals] == ["CONFLICT"] * 3, refusals
    assert second["status"] == "PENDING", "the minute's second job: refused retries cost nothing"


async def test_a_retry_of_a_running_job_is_a_conflict_even_at_the_limits(
    start_api: StartApi,
) -> None:
    # RATE_LIMITED would tell the client to come back in retryAfter seconds, and then it
    # would find a CONFLICT: the job's state answers first.
    api = await start_api(max_active_jobs=1, jobs_per_minute=1)  # no worker: the job waits
    token, waiting = await api.user_with_job()

    refused = await post(api, RETRY, {"id": waiting["id"]}, token=token)

    assert code(refused) == "CONFLICT"
    assert refused["errors"][0]["message"] == "Cannot retry a job that is PENDING."


async def test_an_oversized_body_gets_413_and_writes_nothing(start_api: StartApi, db: Db) -> None:
    api = await start_api(max_body_bytes=20_000)
    token = await api.register()
    big = {**SAMPLE_INPUT, "cvText": "c" * 30_000}
    headers = {"Authorization": f"Bearer {token}"}

    declared = await api.http.post(
        "/graphql", json={"query": CREATE, "variables": {"i": big}}, headers=headers
    )

    async def chunks() -> AsyncIterator[bytes]:
        body = httpx.Request("POST", "/", json={"query": CREATE, "variables": {"i": big}}).read()
        for start in range(0, len(body), 4096):
            yield body[start : start + 4096]

    streamed = await api.http.post(
        "/graphql", content=chunks(), headers={**headers, "Content-Type": "application/json"}
    )

    for refused in (declared, streamed):
        assert refusal(refused) == (413, "Request body too large (at most 20000 bytes).")
    assert await rows(db, "jobs") == 0
    await api.create_job(token)  # a normal body still passes
    await assert_serves_an_honest_client(api)


DEEP = "{ jobs { edges { node { usage { model } } } } }"  # depth 4 (the root field is 0)
ALIASES = "{ a: me { id } b: me { id } c: me { id } d: me { id } }"
# Old MaxAliasesLimiter counted the 2 aliases of F once; spread 4 times, they are 8.
FRAGMENT_ALIASES = (
    "query { ...G ...G } fragment G on Query { ...F ...F }"
    " fragment F on Query { a: me { id } b: me { id } }"
)
CYCLE = "query { ...A } fragment A on Query { me { id } ...B } fragment B on Query { ...A }"
DEEP_THROUGH_FRAGMENTS = (
    "query { ...A } fragment A on Query { jobs { ...B } }"
    " fragment B on JobConnection { edges { node { usage { model } } } }"
)
UNKNOWN_FRAGMENT = "{ me { ...F } }"


def doubling(levels: int, end: str) -> str:
    """Each fragment spreads the next twice: ``end`` is reached 2**levels times."""
    chain = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels))
    return f"query {{ ...F0 }} {chain} fragment F{levels} on Query {{ {end} }}"


@pytest.mark.parametrize(
    ("document", "says"),
    [
        (DEEP, "exceeds maximum operation depth"),
        (ALIASES, "aliases found"),
        (FRAGMENT_ALIASES, "8 aliases found"),
        ("{ me { " + "id " * 60 + "} }", "more than 50 tokens"),
        (CYCLE, "Cannot spread fragment"),
        (DEEP_THROUGH_FRAGMENTS, "exceeds maximum operation depth"),
        (UNKNOWN_FRAGMENT, "Unknown fragment 'F'."),
    ],
    ids=[
        "depth",
        "aliases",
        "aliases-inside-fragments",
        "tokens",
        "fragment-cycle",
        "depth-through-fragments",
        "unknown-fragment",
    ],
)
async def test_hostile_query_shapes_are_refused_before_anything_runs(
    start_api: StartApi, document: str, says: str
) -> None:
    api = await start_api(max_query_depth=3, max_query_aliases=3, max_query_tokens=50)
    token = await api.register()

    for _ in range(2):  # the second answer comes from the parse and validation caches
        result = await post(api, document, token=token)

        assert code(result) == "BAD_USER_INPUT" and result.get("data") is None
        assert says in " ".join(error["message"] for error in result["errors"])
    one_spread = "query { ...F } fragment F on Query { a: me { id } b: me { id } }"
    assert (await api.data(one_spread, token=token))["a"]["id"]
    await assert_serves_an_honest_client(api)


async def test_a_selection_too_wide_to_check_is_refused_saying_so(start_api: StartApi) -> None:
    # graphql-core gives up comparing fields past a budget, and said only "Validation aborted."
    api = await start_api()
    token = await api.register()

    result = await post(api, "{ me { " + "id " * 900 + "} }", token=token)

    assert code(result) == "BAD_USER_INPUT" and result.get("data") is None
    assert [error["message"] for error in result["errors"]] == [
        "The document has too many fields to check; select fewer at once."
    ]
    await assert_serves_an_honest_client(api)


async def test_many_fields_of_one_name_are_refused_before_they_hold_the_event_loop(
    api: Api,
) -> None:
    # Every pair of same-named fields is compared: 240 `me { id }` fit in 1,000 tokens and
    # took a quarter of a second each, token or none, while every other request waited.
    comparisons = (
        "{" + " me { id }" * 120 + " ...F } fragment F on Query {" + " me { id }" * 120 + " }"
    )

    result = await post(api, comparisons)

    assert code(result) == "BAD_USER_INPUT" and result.get("data") is None
    assert [error["message"] for error in result["errors"]] == [
        "The document has too many fields to check; select fewer at once."
    ]
    token = await api.register()
    a_few = "{" + " me { id }" * 20 + " me { email } }"
    assert set((await api.data(a_few, token=token))["me"]) == {"id", "email"}
    await assert_serves_an_honest_client(api)


PAGES = "a: jobs(first: 100) { totalCount } ...More"
MORE_PAGES = "fragment More on Query { b: jobs(first: $n) { totalCount } c: jobs { totalCount } }"


@pytest.mark.parametrize(
    "document",
    [
        "{ " + " ".join(f"p{i}: jobs(first: 100) {{ totalCount }}" for i in range(15)) + " }",
        "{ a: jobs(first: 60) { totalCount } b: jobs(first: 41) { totalCount } }",
        "query($n: Int!) { " + PAGES + " } " + MORE_PAGES,
        "{ a: jobs { totalCount } ...F } fragment F on Query { "
        + " ".join(f"p{i}: jobs {{ totalCount }}" for i in range(5))
        + " }",
    ],
    ids=["15-full-pages", "101-rows", "a-variable-counts-in-full", "default-pages-in-fragments"],
)
async def test_an_operation_may_ask_for_at_most_a_page_of_jobs_in_all(
    api: Api, document: str
) -> None:
    # Fifteen aliased pages of 100 letters were a 105 MB answer to an 831-byte query.
    token = await api.register()

    result = await post(api, document, {"n": 1}, token=token)

    assert code(result) == "BAD_USER_INPUT" and result.get("data") is None, result
    assert "jobs in all; at most 100 an operation" in result["errors"][0]["message"]


async def test_pages_that_add_up_to_a_page_are_answered(api: Api) -> None:
    token = await api.register()
    await api.create_job(token)
    pages = (
        "{ a: jobs(first: 40) { totalCount } b: jobs(first: 40) { edges { node { id } } }"
        " c: jobs { totalCount } }"
    )

    result = await post(api, pages, token=token)

    assert "errors" not in result, result
    assert result["data"]["a"]["totalCount"] == 1 and len(result["data"]["b"]["edges"]) == 1
    # first over 100 is the resolver's refusal, naming the argument, as it always was
    over = await post(
        api, "{ a: jobs(first: 500) { totalCount } b: jobs { totalCount } }", token=token
    )
    assert code(over) == "BAD_USER_INPUT" and over["errors"][0]["extensions"]["field"] == "first"
    await assert_serves_an_honest_client(api)


async def test_a_fragment_spread_exponentially_often_is_measured_once_and_answered(
    start_api: StartApi,
) -> None:
    # 2**60 spreads: strawberry's limiters walked every one (20 levels held the event loop
    # for seconds); measured once per fragment, they are counted at once.
    api = await start_api(max_query_depth=3, max_query_aliases=3, max_query_tokens=1000)
    token = await api.register()

    answered = await api.data(doubling(60, "me { id }"), token=token)
    refused = await post(api, doubling(60, "a: me { id }"), token=token)

    assert answered["me"]["id"]
    assert code(refused) == "BAD_USER_INPUT"
    assert refused["errors"][0]["message"] == f"{2**60} aliases found. Allowed: 3"
    await assert_serves_an_honest_client(api)


async def test_each_document_is_validated_once_against_its_own_servers_limits(
    start_api: StartApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    validations: list[str] = []
    validate = strawberry.schema.schema.validate_document

    def counting(*args: Any) -> Any:
        validations.append(args[1].loc.source.body)
        return validate(*args)

    monkeypatch.setattr("schema.caching.validate_document", counting)
    strict, lenient = await start_api(max_query_depth=3), await start_api(max_query_depth=10)
    token = await strict.register()

    refused = [await post(strict, DEEP, token=token) for _ in range(3)]
    answered = [await post(lenient, DEEP, token=token) for _ in range(3)]

    assert [code(result) for result in refused] == ["BAD_USER_INPUT"] * 3
    assert [result["data"] for result in answered] == [{"jobs": {"edges": []}}] * 3
    assert validations.count(DEEP) == 2  # once per server, whatever the limits said


INTROSPECTION = "{ __schema { queryType { name } } }"


async def test_graphiql_introspection_and_hints_are_off_outside_dev(start_api: StartApi) -> None:
    api = await start_api()
    token = await api.register()

    page = await api.http.get("/graphql", headers={"Accept": "text/html"})
    introspection = await post(api, INTROSPECTION, token=token)
    typo = await post(api, "{ mee { id } }", token=token)
    enum = await post(api, "{ jobs(status: COMPLETE) { totalCount } }", token=token)

    # not the page, but what any GET without a query gets, and why there is no page
    assert page.status_code == 400 and page.headers["content-type"] == "application/json"
    assert code(page.json()) == "BAD_USER_INPUT"
    assert page.json()["errors"][0]["message"] == (
        "No GraphQL query found in the request. GraphiQL, the page for browsers, is not served"
        " here (CAREEROPS_GRAPHIQL turns it on)."
    )
    assert code(introspection) == "BAD_USER_INPUT" and "data" not in introspection
    assert "introspection has been disabled" in introspection["errors"][0]["message"]
    for refused in (typo, enum):
        assert code(refused) == "BAD_USER_INPUT"
        assert "Did you mean" not in refused["errors"][0]["message"], refused
    assert (await api.data("{ __typename }"))["__typename"] == "Query"
    async with api.socket(token) as socket:  # the same over a websocket
        await socket.ack()
        operation = await socket.subscribe("subscription { myJobz { id } }")
        with pytest.raises(GraphQLErrors) as refused_live:
            await socket.next_payload(operation, timeout=5)
    assert refused_live.value.code == "BAD_USER_INPUT"
    assert "Did you mean" not in str(refused_live.value.errors)
    await assert_serves_an_honest_client(api)


@pytest.mark.parametrize("overrides", [{"mode": "dev"}, {"graphiql": True}], ids=["dev", "enabled"])
async def test_graphiql_introspection_and_hints_are_on_in_dev_or_when_enabled(
    start_api: StartApi, overrides: dict[str, object]
) -> None:
    api = await start_api(**overrides)

    page = await api.http.get("/graphql", headers={"Accept": "text/html"})
    introspection = await api.data(INTROSPECTION)
    typo = await post(api, "{ mee { id } }")

    assert page.status_code == 200 and "graphiql" in page.text.lower()
    assert introspection["__schema"]["queryType"]["name"] == "Query"
    assert "Did you mean 'me'?" in typo["errors"][0]["message"]


async def test_unexpected_errors_are_masked_without_internals_and_logged_with_them(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    token = await api.register()

    internals = 'relation "jobs" SELECT password_hash FROM users /srv/careerops/db.py'

    async def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError(internals)  # not on the raising line: the traceback quotes that

    monkeypatch.setattr(db.jobs, "list_jobs", broken)
    result = await post(api, "{ jobs { totalCount } }", token=token)

    assert result["errors"][0]["message"] == "Internal error."
    assert result["errors"][0]["extensions"] == {"code": "INTERNAL"}
    for secret in ("SELECT", "password_hash", "/srv", "Traceback", "RuntimeError"):
        assert secret not in str(result)
    assert (await api.data("{ me { id } }", token=token))["me"]["id"]
    (logged,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    line = logged.getMessage()
    assert "in jobs: RuntimeError (its message withheld)" in line
    assert "test_abuse_limits.py" in line, "where it was raised"
    assert "password_hash" not in line, "the message may quote a value"


async def test_an_unexpected_error_in_register_logs_no_password(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # The line strawberry logs carries the document, literals and all.
    async def broken(*args: object, **kwargs: object) -> object:
        raise ValueError("Could not parse the provided key.")

    monkeypatch.setattr(db.users, "insert_user", broken)
    document = (
        'mutation { register(email: "ada@example.com", password: "hunter2-secret") { token } }'
    )
    result = await post(api, document)

    assert result["errors"][0]["extensions"] == {"code": "INTERNAL"}
    (logged,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "in register: ValueError" in logged.getMessage()
    assert all("hunter2-secret" not in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_unexpected_errors_in_a_subscription_are_masked_without_internals(
    api: Api, monkeypatch: pytest.MonkeyPatch, protocol: str
) -> None:
    token = await api.register()
    job_id = (await api.create_job(token))["id"]

    internals = 'relation "jobs" SELECT password_hash FROM users /srv/careerops/db.py'

    async def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError(internals)  # not on the raising line: the traceback quotes that

    monkeypatch.setattr(db.jobs, "get_job", broken)  # the subscription's snapshot read
    async with api.socket(token, protocol) as socket:
        await socket.ack()
        with pytest.raises(GraphQLErrors) as refused:
            await socket.collect(JOB_EVENTS, {"id": job_id})

    assert refused.value.errors[0]["message"] == "Internal error."
    assert refused.value.errors[0]["extensions"] == {"code": "INTERNAL"}
    for secret in ("SELECT", "password_hash", "/srv", "Traceback", "RuntimeError"):
        assert secret not in str(refused.value.errors)


def _flood_message(protocol: str, n: int) -> Json:
    """A message each protocol answers at once: a ping (graphql-transport-ws), an unknown
    type with an id (graphql-ws, which has no ping: an error for that id)."""
    if protocol == TRANSPORT_WS:
        return {"type": "ping", "payload": {"n": n}}
    return {"type": "flood", "id": str(n)}


def _flood_answer(protocol: str, message: Json) -> int | None:
    if protocol == TRANSPORT_WS:
        return int(message["payload"]["n"]) if message["type"] == "pong" else None
    return int(message["id"]) if message["type"] == "error" else None


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_sockets_messages_past_its_burst_are_read_at_its_pace(
    start_api: StartApi, start_worker: StartWorker, protocol: str
) -> None:
    # 20 a second past a burst of ten seconds' worth: 260 messages at once are answered
    # for 200 at once, then the other 60 over three seconds.
    api = await start_api(websocket_messages_per_second=20)
    await start_worker()
    token = await api.register()
    async with api.socket(token, protocol) as socket:
        await socket.ack()
        started = asyncio.get_running_loop().time()
        for n in range(260):
            await socket.send(_flood_message(protocol, n))
        answered: list[int] = []
        while len(answered) < 260:
            message = json.loads(await asyncio.wait_for(socket.connection.recv(), 30))
            if (answer := _flood_answer(protocol, message)) is not None:
                answered.append(answer)
        took = asyncio.get_running_loop().time() - started
        # Nothing dropped or reordered, the socket still open and serving its client.
        assert answered == list(range(260))
        assert took >= 2.5, f"260 messages answered in {took:.2f} s"
        job = await api.create_job(token)
        events = await asyncio.wait_for(socket.collect(JOB_EVENTS, {"id": job["id"]}), 30)
        assert events[-1]["status"] == "COMPLETED", events
    await assert_serves_an_honest_client(api)
