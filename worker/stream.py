"""Coalesced text flushes: one UPDATE and one DELTA event per ~100 ms or N characters."""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import replace

from core.events import EventType
from core.usage import Usage
from db import jobs
from db.jobs import JobRecord
from worker.deps import WorkerDeps
from worker.outcomes import Fenced


class JobStream:
    """The text sink of one attempt. A flush that finds the job moved raises ``Fenced``."""

    def __init__(self, job: JobRecord, deps: WorkerDeps) -> None:
        self.job = job
        self.deps = deps
        self.written = 0
        self._buffer: list[str] = []
        self._buffered = 0
        self._last_flush = time.monotonic()
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
        self._last_flush = time.monotonic()
        if not self._buffer:
            return
        delta = "".join(self._buffer)
        self._buffer.clear()
        self._buffered = 0
        self.written += len(delta)
        self.has_text = self.has_text or not delta.isspace()
        progress = self._progress()
        flushed = await jobs.append_text(
            self.deps.db,
            self.job.id,
            attempt=self.attempt,
            delta=delta,
            progress=progress,
            lease_until=self.deps.lease_deadline(),
        )
        if flushed is None:
            raise Fenced("job cancelled or taken over")
        self.job = replace(
            self.job, seq=flushed.seq, progress=progress, updated_at=flushed.updated_at
        )
        await self.deps.broker.publish_event(self.job.to_event(EventType.DELTA, delta=delta))

    async def pipe(self, chunks: AsyncIterator[str]) -> None:
        """Write every chunk; a pause longer than the flush interval flushes what waits."""
        interval = self.deps.settings.flush_interval_ms / 1000
        iterator = aiter(chunks)
        pending: asyncio.Task[str] | None = None
        try:
            while True:
                if pending is None:
                    pending = asyncio.ensure_future(anext(iterator))
                done, _ = await asyncio.wait({pending}, timeout=interval if self._buffer else None)
                if not done:
                    await self.flush()
                    continue
                try:
                    chunk = pending.result()
                except StopAsyncIteration:
                    pending = None
                    break
                pending = None
                await self.write(chunk)
        finally:
            if pending is not None:
                # The generator must be idle before aclose(), so let the cancel land first.
                pending.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await pending
            aclose = getattr(iterator, "aclose", None)
            if aclose is not None:
                await aclose()
        await self.flush()
