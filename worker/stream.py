"""Coalesced text flushes: one UPDATE and one DELTA event per ~100 ms or N characters."""

import asyncio
import time
from collections.abc import AsyncIterator

from core.events import EventType, JobEvent
from core.usage import Usage
from db.jobs import JobRecord, TextFlush
from worker.beside import run_beside
from worker.deps import WorkerDeps
from worker.outcomes import Fenced


class JobStream:
    """The text sink of one attempt. A flush that finds the job moved raises ``Fenced``."""

    def __init__(self, job: JobRecord, deps: WorkerDeps) -> None:
        #: the row as the attempt claimed it (its seq and progress move with each flush,
        #: and are not copied back here: the events carry them)
        self.job = job
        self.deps = deps
        self.written = 0
        self._buffer: list[str] = []
        self._buffered = 0
        self._last_flush = time.monotonic()
        #: a pause's flush and a chunk's flush take turns, so seqs are published in order
        self._flushing = asyncio.Lock()
        #: when the attempt started, for its duration
        self.started = time.monotonic()
        self._last_chunk = time.monotonic()
        #: whether anything but white space was written
        self.has_text = False
        #: what the attempt cost, set by the handler; stored when the job completes
        self.usage: Usage | None = None

    @property
    def attempt(self) -> int:
        return self.job.attempts

    def _progress(self) -> float:
        expected = self.deps.settings.expected_letter_chars
        return min(0.99, round(self.written / expected, 3))

    def idle_seconds(self) -> float:
        """How long since the writer last produced anything."""
        return time.monotonic() - self._last_chunk

    async def write(self, chunk: str) -> None:
        self._last_chunk = time.monotonic()
        if not chunk:
            return
        self._buffer.append(chunk)
        self._buffered += len(chunk)
        settings = self.deps.settings
        due = time.monotonic() - self._last_flush >= settings.flush_interval_ms / 1000
        if due or self._buffered >= settings.flush_chars:
            await self.flush()

    async def flush(self) -> None:
        async with self._flushing:
            await self._flush()

    async def _flush(self) -> None:
        self._last_flush = time.monotonic()
        if not self._buffer:
            return
        delta = "".join(self._buffer)
        self._buffer.clear()
        self._buffered = 0
        self.written += len(delta)
        self.has_text = self.has_text or not delta.isspace()
        progress = self._progress()
        flushed = await self.deps.text_flushes.append(
            TextFlush(
                self.job.id,
                attempt=self.attempt,
                delta=delta,
                progress=progress,
                lease_until=self.deps.lease_deadline(),
            )
        )
        if flushed is None:
            raise Fenced("job cancelled or taken over")
        job = self.job
        # Built here rather than from a copy of the record with the flush's values: that
        # copy (two dozen fields) was a twentieth of a streaming worker's CPU.
        event = JobEvent(
            job_id=job.id,
            user_id=job.user_id,
            seq=flushed.seq,
            type=EventType.DELTA,
            status=job.status,
            attempt=job.attempts,
            progress=progress,
            at=flushed.updated_at,
            delta=delta,
        )
        await self.deps.broker.publish_event(event)

    async def pipe(self, chunks: AsyncIterator[str]) -> None:
        """Write every chunk; text left waiting by a pause is flushed when the interval is up.

        One watcher task per attempt notices pauses, instead of a task and a timeout around
        every chunk: those were most of what a streamed token cost the worker.
        """
        interval = self.deps.settings.flush_interval_ms / 1000
        iterator = aiter(chunks)
        # Never cancelled between a flush's commit and its publish: that leaves a seq gap.
        pauses = self._flush_after_pauses(interval)
        async with run_beside(pauses, name="flush-after-pauses", stop_under=self._flushing):
            try:
                async for chunk in iterator:
                    await self.write(chunk)
            finally:
                aclose = getattr(iterator, "aclose", None)
                if aclose is not None:
                    await aclose()
        await self.flush()

    async def _flush_after_pauses(self, interval: float) -> None:
        while True:
            wait = self._last_flush + interval - time.monotonic()
            await asyncio.sleep(wait if wait > 0 else interval)
            if self._buffer and time.monotonic() - self._last_flush >= interval:
                await self.flush()
