"""Logs about a job carry its ids, and never its texts."""

import json
import logging

import pytest

from core.logs import JsonFormatter, install_record_context, quiet_libraries
from tests.client import SAMPLE_INPUT, Api

CONTEXT = ("job_id", "user_id", "attempt", "request_id")


async def test_every_line_about_a_job_has_its_ids_and_no_text(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    install_record_context()
    quiet_libraries()
    token = await api.register()
    caplog.set_level(logging.DEBUG)

    job = await api.create_job(token)
    done = await api.wait_for_status(token, job["id"], "COMPLETED")

    ours = [
        r for r in caplog.records if r.name.split(".")[0] in ("worker", "resolvers", "broker", "db")
    ]
    about_the_job = [r for r in ours if getattr(r, "job_id", None) == job["id"]]
    assert any("job created" in r.getMessage() for r in about_the_job)
    assert any("started" in r.getMessage() for r in about_the_job)
    assert any("completed" in r.getMessage() for r in about_the_job)
    request_ids = {getattr(r, "request_id", None) for r in about_the_job}
    assert len(request_ids) == 1 and None not in request_ids, "one request id from API to worker"
    for record in about_the_job:
        assert getattr(record, "user_id", None), record.getMessage()
        if record.name.startswith("worker"):
            assert getattr(record, "attempt", None) == 1, record.getMessage()
    everything = "\n".join(JsonFormatter().format(r) for r in caplog.records)
    for secret in (SAMPLE_INPUT["cvText"], done["coverLetter"][:80], token):
        assert secret not in everything
    assert SAMPLE_INPUT["cvText"][:40] not in everything


def test_the_json_formatter_writes_one_object_per_line_with_the_context() -> None:
    install_record_context()
    from core.logs import bound

    with bound(job_id="j1", user_id="u1", attempt=2, request_id="r1"):
        record = logging.getLogger("worker.test").makeRecord(
            "worker.test", logging.INFO, __file__, 1, "attempt %d started", (2,), None
        )
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "attempt 2 started"
    assert {key: entry[key] for key in CONTEXT} == {
        "job_id": "j1",
        "user_id": "u1",
        "attempt": 2,
        "request_id": "r1",
    }


async def test_a_clients_mistakes_are_not_logged_as_errors(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    token = await api.register()
    caplog.set_level(logging.DEBUG)

    refusals = [
        await api.execute(
            'mutation { login(email: "nobody@example.com", password: "wrong password") { token } }'
        ),
        await api.execute(
            'mutation { cancelJob(id: "00000000-0000-0000-0000-000000000000") { id } }',
            token=token,
        ),
        await api.execute("{ jobs(first: 500) { totalCount } }", token=token),
        await api.execute("{ me { nosuchfield } }", token=token),
        await api.execute("{ me { id } }", token="not a token"),
    ]

    codes = [result["errors"][0]["extensions"]["code"] for result in refusals]
    assert codes == [
        "UNAUTHENTICATED",
        "NOT_FOUND",
        "BAD_USER_INPUT",
        "BAD_USER_INPUT",
        "UNAUTHENTICATED",
    ]
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert not loud, [(r.name, r.getMessage()) for r in loud]


async def test_at_debug_no_password_cv_or_token_reaches_the_log(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    # The websockets library logged an excerpt of every frame (a password sent to login,
    # the tail of a token), and a refusal logged graphql-core's message, which quotes the
    # values refused (a CV).
    install_record_context()
    quiet_libraries()
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="uvicorn.error")  # the test server's is WARNING
    password = "Zq9-secret-pass-77"
    email = "debug-logs@example.com"
    token = await api.register(email, password)
    login = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"

    async with api.socket(token) as socket:
        await socket.ack()
        operation = await socket.subscribe(login, {"e": email, "p": password})
        signed_in = await socket.next_payload(operation)
    refused = await api.execute(
        "mutation($i: CoverLetterInput!) { createCoverLetter(input: $i) { id } }",
        {"i": {"cvText": SAMPLE_INPUT["cvText"]}},  # no jobDescription
        token,
    )

    assert signed_in is not None and refused["errors"]
    clients = ("websockets.client", "httpx", "httpcore")  # the test's own, not the server's
    served = [r for r in caplog.records if not r.name.startswith(clients)]
    assert any(r.msg == "= connection is %s" for r in served), "the server's debug lines were kept"
    everything = "\n".join(JsonFormatter().format(r) for r in served)
    for secret in (password, token[-20:], signed_in["data"]["login"]["token"][-20:]):
        assert secret not in everything
    assert SAMPLE_INPUT["cvText"][:30] not in everything


def test_the_access_log_keeps_a_requests_path_but_not_its_query_string() -> None:
    quiet_libraries()
    seen: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append(record.getMessage())  # type: ignore[method-assign]
    access = logging.getLogger("uvicorn.access")
    access.addHandler(handler)
    try:
        query = 'query=mutation+{+login(email:+"a@b.c",+password:+"Zq9-pass")+{+token+}+}'
        access.warning(
            '%s - "%s %s HTTP/%s" %d', "1.2.3.4:5", "GET", f"/graphql?{query}", "1.1", 405
        )
    finally:
        access.removeHandler(handler)

    assert seen == ['1.2.3.4:5 - "GET /graphql?… HTTP/1.1" 405']
