"""Coalesced text flushes: one UPDATE and one DELTA event per ~100 ms or N characters.

Text a writer ends with is not flushed on its own: the completion writes it in the same
UPDATE (``take_text``), with the same DELTA and COMPLETED events. So a buffer past N
characters is flushed as the next chunk comes (or after the interval, if none does),
not at once: a writer that gives its whole letter in one piece needs no flush at all.
"""

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import datetime

from core.events import EventType, JobEvent
from core.usage import Usage
from db.jobs import JobRecord, TextFlush
from worker.beside import run_beside
from worker.deps import WorkerDeps
from worker.outcomes import Fenced
from worker.storable import StorableText
from worker.writers.base import aclose


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
        self._storable = StorableText()

    @property
    def attempt(self) -> int:
        return self.job.attempts

    def progress(self) -> float:
        """How far the letter is, from what was written (below 1 until it completes)."""
        expected = self.deps.settings.expected_letter_chars
        return min(0.99, round(self.written / expected, 3))

    def idle_seconds(self) -> float:
        """How long since the writer last produced anything."""
        return time.monotonic() - self._last_chunk

    async def write(self, chunk: str) -> None:
        self._last_chunk = time.monotonic()
        chunk = self._storable(chunk)
        if not chunk:
            return
        settings = self.deps.settings
        if self._buffered >= settings.flush_chars:
            await self.flush()  # full since the last chunk, and this one shows it was not the last
        self._hold(chunk)
        if time.monotonic() - self._last_flush >= settings.flush_interval_ms / 1000:
            await self.flush()

    async def flush(self) -> None:
        async with self._flushing:
            await self._flush()

    def take_text(self) -> str:
        """The buffered text, out of the buffer and counted as written: a flush's, or at the
        end the completion's (the text a writer ends with)."""
        delta = "".join(self._buffer)
        self._buffer.clear()
        self._buffered = 0
        self.written += len(delta)
        self.has_text = self.has_text or (bool(delta) and not delta.isspace())
        return delta

    async def _flush(self) -> None:
        self._last_flush = time.monotonic()
        if not self._buffer:
            return
        delta = self.take_text()
        progress = self.progress()
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
        await self.deps.broker.publish_event(
            self.delta_event(delta, seq=flushed.seq, at=flushed.updated_at, progress=progress)
        )

    def delta_event(self, delta: str, *, seq: int, at: datetime, progress: float) -> JobEvent:
        """The DELTA of text written as change ``seq`` of the running attempt."""
        job = self.job
        # Built here rather than from a copy of the record with the flush's values: that
        # copy (two dozen fields) was a twentieth of a streaming worker's CPU.
        return JobEvent(
            job_id=job.id,
            user_id=job.user_id,
            seq=seq,
            type=EventType.DELTA,
            status=job.status,
            attempt=job.attempts,
            progress=progress,
            at=at,
            delta=delta,
        )

    async def pipe(self, chunks: AsyncIterator[str]) -> None:
        """Write every chunk; text left waiting by a pause is flushed when the interval is up,
        and the text left at the end is the completion's (``take_text``).

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
                # However the stream ended: a failure keeps every word sent before it, and
                # the completion or the failure writes what the buffer holds.
                self._hold(self._storable.rest())
                await aclose(iterator)

    def _hold(self, text: str) -> None:
        """Buffer ``text`` without flushing (the end's own statement writes it)."""
        if text:
            self._buffer.append(text)
            self._buffered += len(text)

    async def _flush_after_pauses(self, interval: float) -> None:
        while True:
            wait = self._last_flush + interval - time.monotonic()
            await asyncio.sleep(wait if wait > 0 else interval)
            if self._buffer and time.monotonic() - self._last_flush >= interval:
                await self.flush()
