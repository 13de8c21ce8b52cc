"""A deterministic cover-letter writer that needs no model and no network.

The letter is assembled from tone-specific templates and from facts found in
the request. Its one hard rule: it never names a skill (from the built-in
vocabulary) that the CV does not name, so everything taken from the job
description is checked against the CV before it is used.
"""

import asyncio
from collections.abc import AsyncIterator

from worker.writers.base import LetterRequest, Usage, aclose
from worker.writers.offline.chunks import split_into_chunks
from worker.writers.offline.facts import clean_name
from worker.writers.offline.letter import MAX_WORDS, MIN_WORDS, compose_letter
from worker.writers.offline.tones import TONE_NAMES

__all__ = [
    "MAX_WORDS",
    "MIN_WORDS",
    "TEMPLATE_VERSION",
    "TONE_NAMES",
    "OfflineWriter",
    "clean_name",
    "compose_letter",
    "split_into_chunks",
]

#: stored on each job as its prompt version; bump it when the templates change
TEMPLATE_VERSION = "offline-1"


class OfflineWriter:
    """Streams a template-built letter, optionally paced like a real model."""

    def __init__(self, *, pace_ms: int = 0) -> None:
        self._delay = max(pace_ms, 0) / 1000

    async def write(self, request: LetterRequest) -> AsyncIterator[str]:
        for index, chunk in enumerate(split_into_chunks(compose_letter(request))):
            # sleep(0) still hands control back to the loop between chunks.
            await asyncio.sleep(self._delay if index else 0)
            yield chunk

    async def write_with_usage(self, request: LetterRequest) -> AsyncIterator[str | Usage]:
        """``write``, then what it can tell: no tokens, so completion tokens are words."""
        chunks = self.write(request)
        written: list[str] = []
        try:
            async for chunk in chunks:
                written.append(chunk)
                yield chunk
        finally:
            await aclose(chunks)
        yield Usage(
            model="offline",
            prompt_version=TEMPLATE_VERSION,
            completion_tokens=len("".join(written).split()),
        )

    async def close(self) -> None:
        return None
