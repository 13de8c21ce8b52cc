"""The cover-letter job: stream the writer's letter into the job, and meter it."""

import time
from collections.abc import AsyncIterator
from dataclasses import replace

from db.jobs import JobRecord
from worker.deps import WorkerDeps
from worker.stream import JobStream
from worker.writers.base import LetterRequest, MeteredWriter, Usage, aclose


def letter_request(job: JobRecord) -> LetterRequest:
    return LetterRequest(
        job_description=job.job_description,
        cv_text=job.cv_text,
        tone=job.tone,
        company_name=job.company_name,
        applicant_name=job.applicant_name,
    )


class Meter:
    """Passes the text through; keeps the writer's ``Usage`` and times the answer."""

    def __init__(self) -> None:
        self.reported = Usage()
        self.first_text_ms: int | None = None
        self.duration_ms: int | None = None

    async def texts(self, items: AsyncIterator[str | Usage]) -> AsyncIterator[str]:
        started = time.monotonic()
        try:
            async for item in items:
                if isinstance(item, Usage):
                    self.reported = item
                    continue
                if item and self.first_text_ms is None:
                    self.first_text_ms = _ms_since(started)
                yield item
            self.duration_ms = _ms_since(started)
        finally:
            await aclose(items)

    @property
    def usage(self) -> Usage:
        return replace(
            self.reported, time_to_first_token_ms=self.first_text_ms, duration_ms=self.duration_ms
        )


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


async def write_cover_letter(job: JobRecord, stream: JobStream, deps: WorkerDeps) -> None:
    request = letter_request(job)
    writer = deps.writer
    items: AsyncIterator[str | Usage] = (
        writer.write_with_usage(request)
        if isinstance(writer, MeteredWriter)
        else writer.write(request)
    )
    meter = Meter()
    await stream.pipe(meter.texts(items))
    stream.usage = meter.usage
