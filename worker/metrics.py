"""What the consumer reports about each attempt (see core/metrics.py)."""

import time

from core.jobs import JobStatus
from core.metrics import (
    JOB_DURATION,
    JOBS_FINISHED,
    LLM_TOKENS,
    TIME_TO_FIRST_TOKEN,
    WRITER_RETRIES,
)
from worker.outcomes import Retry
from worker.stream import JobStream


def observe_finished(stream: JobStream, status: JobStatus) -> None:
    JOBS_FINISHED.labels(status.value).inc()
    JOB_DURATION.labels(status.value).observe(time.monotonic() - stream.started)
    usage = stream.usage
    if status is not JobStatus.COMPLETED or usage is None:
        return
    if usage.time_to_first_token_ms is not None:
        TIME_TO_FIRST_TOKEN.observe(usage.time_to_first_token_ms / 1000)
    if usage.prompt_tokens:
        LLM_TOKENS.labels("prompt").inc(usage.prompt_tokens)
    if usage.completion_tokens:
        LLM_TOKENS.labels("completion").inc(usage.completion_tokens)


def observe_retry(retry: Retry) -> None:
    WRITER_RETRIES.labels(retry.cause).inc()
