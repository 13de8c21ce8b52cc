"""Writers whose failures the browser tests show on the page."""

import asyncio
from collections.abc import AsyncIterator

from worker.outcomes import PermanentError, Retry
from worker.writers.base import LetterRequest


class RetriesOnceWriter:
    """Fails its first attempt transiently (retry in ``after`` s); the second writes the
    letter once ``second_attempt`` is set, so the test can look at it while it runs."""

    def __init__(self, after: float) -> None:
        self.after = after
        self.calls = 0
        self.second_attempt = asyncio.Event()

    async def write(self, request: LetterRequest) -> AsyncIterator[str]:
        self.calls += 1
        yield "Dear hiring team, I am writing to apply "
        if self.calls == 1:
            raise Retry("The writer timed out.", after=self.after)
        await self.second_attempt.wait()
        yield "for the role. Kind regards, Jordan Lee"

    async def close(self) -> None:
        pass


class RefusingWriter:
    """Fails every letter for good: each ends FAILED, with Retry offered."""

    async def write(self, request: LetterRequest) -> AsyncIterator[str]:
        yield "Dear hiring team, "
        raise PermanentError("The model refused to write this letter.")

    async def close(self) -> None:
        pass
