"""Every way a model call can fail, classified once: ``Retry`` later or ``PermanentError`` now.

======================================================  =========================
cause                                                   outcome
======================================================  =========================
429 Too Many Requests                                   Retry (after Retry-After)
429 with code ``insufficient_quota``                    PermanentError
408, 409, 500, 502, 503, 504 and any other 5xx          Retry (after Retry-After)
connect error, connection cut, request timeout          Retry
no text before the first-token timeout                  Retry
stream ended without a ``finish_reason``                Retry
a 200 that is no event stream (a wrong base URL)        Retry, saying so
error event inside the stream, malformed stream data    Retry
400, 401, 403, 404 (unknown model) and other 4xx        PermanentError
``finish_reason`` content_filter, length, or unknown    PermanentError
an answer with no text                                  PermanentError
======================================================  =========================

The texts are shown to users: they name the cause and never carry the API key,
the request, or more than a short, scrubbed excerpt of the provider's message.
"""

import email.utils
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from http import HTTPStatus

import openai

from worker.outcomes import PermanentError, Retry

Failure = Retry | PermanentError


class MalformedAnswer(ValueError):
    """A chunk that parsed as JSON but is not what the protocol says (a ``content`` that
    is a number or a list): the server's fault, not a bug of the worker's."""


#: a broken Retry-After header must not park a job for days
MAX_RETRY_AFTER_SECONDS = 3600.0
_MAX_DETAIL_CHARS = 200
_SECRET_LIKE = re.compile(r"\b(?:sk|key)-[\w*-]{6,}|\bBearer\s+\S+", re.IGNORECASE)
_TRANSIENT_4XX = frozenset({408, 409, 429})
_QUOTA_CODES = frozenset({"insufficient_quota"})


def classify(error: Exception, *, secret: str | None = None) -> Failure:
    """What a failed call to the model means for the job."""
    if isinstance(error, openai.APITimeoutError):
        return Retry(
            "The model's server did not answer in time (request timeout).", cause="timeout"
        )
    if isinstance(error, openai.APIConnectionError):
        return Retry(
            "The connection to the model's server failed or was cut off.", cause="connection"
        )
    if isinstance(error, openai.APIStatusError):
        return _for_status(error, secret)
    if isinstance(error, openai.APIError):
        detail = _detail(error.body, secret)
        return Retry(
            f"The model's server reported an error while answering{detail}.", cause="server_error"
        )
    if isinstance(error, json.JSONDecodeError | MalformedAnswer):
        return Retry("The model's server sent a malformed answer.", cause="malformed")
    return PermanentError(f"The model client failed ({type(error).__name__}).")


def _for_status(error: openai.APIStatusError, secret: str | None) -> Failure:
    status = error.status_code
    name = _status_name(status)
    if status == 429 and _error_code(error) in _QUOTA_CODES:
        return PermanentError(
            "The API key has no quota left (429 insufficient_quota);"
            " check the provider account's plan and billing."
        )
    if status in _TRANSIENT_4XX or status >= 500:
        cause = "is rate-limiting requests" if status == 429 else "answered"
        return Retry(
            f"The model's server {cause} ({name}).",
            after=retry_after(error.response.headers),
            cause="rate_limited" if status == 429 else "server_error",
        )
    if status == 401:
        return PermanentError(
            f"The model's server rejected the API key ({name}); check OPENAI_API_KEY."
        )
    detail = _detail(error.body, secret)
    if status == 403:
        return PermanentError(f"The API key may not use this model ({name}){detail}.")
    if status == 404:
        return PermanentError(
            f"The model or the endpoint does not exist ({name}); check CAREEROPS_MODEL"
            f" and OPENAI_BASE_URL{detail}."
        )
    return PermanentError(f"The model's server refused the request ({name}){detail}.")


def first_token_timeout(seconds: float) -> Retry:
    return Retry(
        f"The model sent no text within {seconds:g} s (first-token timeout).",
        cause="first_token_timeout",
    )


def text_stalled(seconds: float) -> Retry:
    """A stream kept open (keep-alive comments, empty deltas) with no more text."""
    return Retry(
        f"The model sent no more text for {seconds:g} s (CAREEROPS_WRITER_TIMEOUT_SECONDS).",
        cause="text_stalled",
    )


def not_an_event_stream(content_type: str | None) -> Retry:
    """An answer with no chunk at all whose body was not an event stream: nothing was
    cut off; a wrong ``OPENAI_BASE_URL`` or a proxy's page answered in the model's place."""
    kind = _excerpt(content_type, None)[:60] if content_type else "no content type"
    return Retry(
        f"The model's server answered with {kind}, not a stream of events; check OPENAI_BASE_URL.",
        cause="not_a_stream",
    )


def check_finish(finish_reason: str | None, *, has_text: bool, refusal: str = "") -> None:
    """Raise what an answer that ended this way means; return if it is a letter."""
    if finish_reason is None:
        raise Retry("The model's answer was cut off before it finished.", cause="stream_cut")
    if finish_reason == "content_filter":
        raise PermanentError("The model's content filter stopped the letter.")
    if finish_reason == "length":
        raise PermanentError("The letter was cut off at the model's length limit.")
    if finish_reason != "stop":
        reason = _excerpt(finish_reason, None)[:40]
        raise PermanentError(f"The model stopped for an unexpected reason ({reason!r}).")
    if refusal.strip() and not has_text:
        raise PermanentError(f"The model refused to write the letter: {_excerpt(refusal, None)}")
    if not has_text:
        raise PermanentError("The model returned an empty answer.")


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait as the response asks (``retry-after-ms``, or ``retry-after``)."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return _bounded(float(value) * scale)
        except ValueError:
            pass
    return _seconds_until(headers.get("retry-after"))


def _seconds_until(http_date: str | None) -> float | None:
    if not http_date:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(http_date)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return _bounded((moment - datetime.now(UTC)).total_seconds())


def _bounded(seconds: float) -> float:
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def _status_name(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


def _error_code(error: openai.APIStatusError) -> str | None:
    if error.code:
        return error.code
    kind = error.body.get("type") if isinstance(error.body, dict) else None
    return kind if isinstance(kind, str) else None


def _detail(body: object, secret: str | None) -> str:
    """``: <the provider's message>``, short and scrubbed, or nothing."""
    message = body.get("message") if isinstance(body, dict) else None
    if not isinstance(message, str) or not message.strip():
        return ""
    return f": {_excerpt(message, secret).rstrip('.')}"


def _excerpt(text: str, secret: str | None) -> str:
    if secret:
        text = text.replace(secret, "[redacted]")
    text = " ".join(_SECRET_LIKE.sub("[redacted]", text).split())
    return text if len(text) <= _MAX_DETAIL_CHARS else text[: _MAX_DETAIL_CHARS - 1] + "…"
