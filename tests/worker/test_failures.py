"""Failures classified once: what the writer raises for each way a server can fail."""

import re
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from starlette.datastructures import Secret

from core.settings import Settings
from tests.fakes.openai_server import Answer, Behaviour, Failure, FakeOpenAI, Silence
from worker.outcomes import PermanentError, Retry
from worker.writers.base import LetterRequest
from worker.writers.failures import MAX_RETRY_AFTER_SECONDS, retry_after
from worker.writers.openai import OpenAIWriter

KEY = "test-key-3f9a1c0d7e5b"


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI(default=Answer(["Dear team, ", "hello."])) as server:
        yield server


REQUEST = LetterRequest("Data engineer wanted.", "Data engineer, 6 years.", "PROFESSIONAL")


def writer_for(url: str, **overrides: Any) -> OpenAIWriter:
    settings = Settings(
        writer="openai",
        openai_api_key=Secret(KEY),
        openai_base_url=url,
        writer_timeout_seconds=5.0,
        first_token_timeout_seconds=5.0,
    )
    return OpenAIWriter.from_settings(replace(settings, **overrides))


async def outcome_of(fake: FakeOpenAI, behaviour: Behaviour) -> Exception:
    """What the writer raises when the server behaves like this."""
    fake.then(behaviour)
    writer = writer_for(fake.url)
    try:
        with pytest.raises((Retry, PermanentError)) as raised:
            async for _ in writer.write_with_usage(REQUEST):
                pass
    finally:
        await writer.close()
    return raised.value


def _case_id(value: object) -> str | None:
    if isinstance(value, Failure):
        return f"{value.status}-{value.code or value.type}"
    if isinstance(value, Answer):
        return f"finish-{value.finish_reason}" if value.finish_reason else f"cut-{value.cut}"
    return None


@pytest.mark.parametrize(
    ("behaviour", "error"),
    [
        (
            Failure(400, "Invalid value for 'messages'.", type="invalid_request_error"),
            PermanentError(
                "The model's server refused the request (400 Bad Request):"
                " Invalid value for 'messages'."
            ),
        ),
        (
            Failure(403, "Project does not have access to this model.", type="access"),
            PermanentError(
                "The API key may not use this model (403 Forbidden):"
                " Project does not have access to this model."
            ),
        ),
        (
            Failure(404, "The model `gpt-9` does not exist.", "model_not_found"),
            PermanentError(
                "The model or the endpoint does not exist (404 Not Found); check CAREEROPS_MODEL"
                " and OPENAI_BASE_URL: The model `gpt-9` does not exist."
            ),
        ),
        (
            Failure(429, "You exceeded your current quota.", "insufficient_quota"),
            PermanentError(
                "The API key has no quota left (429 insufficient_quota);"
                " check the provider account's plan and billing."
            ),
        ),
        (
            Failure(429, "Slow down.", "rate_limit_exceeded", retry_after="7"),
            Retry("The model's server is rate-limiting requests (429 Too Many Requests).", after=7),
        ),
        (
            Failure(503, "Overloaded."),
            Retry("The model's server answered (503 Service Unavailable).", after=None),
        ),
        (
            Failure(502, "Bad gateway."),
            Retry("The model's server answered (502 Bad Gateway).", after=None),
        ),
        (
            Answer(["Some words"], finish_reason="content_filter"),
            PermanentError("The model's content filter stopped the letter."),
        ),
        (
            Answer(["Some words"], finish_reason="length"),
            PermanentError("The letter was cut off at the model's length limit."),
        ),
        (Answer([" ", "\n"]), PermanentError("The model returned an empty answer.")),
        (
            Answer(["Some words, ", 42]),
            Retry("The model's server sent a malformed answer."),
        ),
        (
            Answer([["Some", "words"]]),
            Retry("The model's server sent a malformed answer."),
        ),
        (
            Answer(["Some words"], finish_reason=None, cut="end"),
            Retry("The model's answer was cut off before it finished."),
        ),
        (
            Answer(["Some words"], finish_reason=None, cut="abort"),
            Retry("The connection to the model's server failed or was cut off."),
        ),
    ],
    ids=_case_id,
)
async def test_each_failure_is_classified_once_with_a_readable_reason(
    fake: FakeOpenAI, behaviour: Behaviour, error: Exception
) -> None:
    raised = await outcome_of(fake, behaviour)

    assert type(raised) is type(error) and str(raised) == str(error)
    if isinstance(error, Retry):
        assert isinstance(raised, Retry) and raised.after == error.after
    assert raised.__cause__ is None, "no openai error (and so no request) in the chain"
    assert raised.__context__ is None or raised.__suppress_context__


async def test_an_unreachable_server_and_a_silent_one_are_transient(fake: FakeOpenAI) -> None:
    async with FakeOpenAI() as closed:
        url = closed.url
    writer = writer_for(url)
    try:
        with pytest.raises(Retry, match="connection to the model's server failed"):
            await anext(writer.write(REQUEST))
    finally:
        await writer.close()

    fake.then(Silence())
    writer = writer_for(fake.url, first_token_timeout_seconds=0.3)
    try:
        with pytest.raises(Retry, match=re.escape("no text within 0.3 s (first-token timeout)")):
            await anext(writer.write(REQUEST))
    finally:
        await writer.close()


def test_retry_after_reads_seconds_milliseconds_and_dates_within_bounds() -> None:
    in_a_minute = format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True)

    assert retry_after({"retry-after": "1"}) == 1.0
    assert retry_after({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert 55 <= (retry_after({"retry-after": in_a_minute}) or 0) <= 60
    assert retry_after({"retry-after": "86400000"}) == MAX_RETRY_AFTER_SECONDS
    assert retry_after({"retry-after": "-5"}) == 0.0
    assert retry_after({"retry-after": "soon"}) is None
    assert retry_after({}) is None


async def test_a_provider_message_is_shown_short_and_without_secrets(fake: FakeOpenAI) -> None:
    echo = f"Bad request for key {KEY} (also sk-abcdefghij, Bearer xyz123). " + "x" * 500

    raised = await outcome_of(fake, Failure(400, echo, type="invalid_request_error"))

    text = str(raised)
    assert text.startswith("The model's server refused the request (400 Bad Request): Bad request")
    assert KEY not in text and "sk-abcdefghij" not in text and "xyz123" not in text
    assert "[redacted]" in text and len(text) < 300
