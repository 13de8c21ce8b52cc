"""Bench-only writers: instant (one chunk, no pace) and paced (N tokens at R tokens/s)."""

import asyncio
from collections.abc import AsyncIterator

from worker.writers.base import LetterRequest

_WORDS = (
    "I am writing to apply for the role because my experience with Python, SQL and "
    "streaming pipelines matches what your team needs, and I would welcome the chance "
    "to contribute from the first week."
).split()

#: about the size of a real letter's paragraph; what the terminal event carries
LETTER = " ".join(_WORDS[i % len(_WORDS)] for i in range(160))


class InstantWriter:
    """The whole letter in one chunk, at once: B1 and B2 measure the pipeline, not a model."""

    async def write(self, request: LetterRequest) -> AsyncIterator[str]:
        yield LETTER

    async def close(self) -> None:
        return None


class PacedWriter:
    """``tokens`` words at ``per_second``, on a schedule that does not drift."""

    def __init__(self, tokens: int, per_second: float) -> None:
        self.tokens = tokens
        self.interval = 1.0 / per_second

    async def write(self, request: LetterRequest) -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        start = loop.time()
        for i in range(self.tokens):
            delay = start + i * self.interval - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            yield _WORDS[i % len(_WORDS)] + " "

    async def close(self) -> None:
        return None
