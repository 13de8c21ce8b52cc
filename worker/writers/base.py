"""The writer interface every LLM backend implements."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class LetterRequest:
    job_description: str
    cv_text: str
    #: one of PROFESSIONAL FRIENDLY ENTHUSIASTIC FORMAL CONFIDENT
    tone: str
    company_name: str | None = None
    applicant_name: str | None = None


class Writer(Protocol):
    """Writes a cover letter as a stream of text chunks.

    Closing the iterator early (``aclose``) must stop the generation at once:
    that is how a cancelled job stops paying for tokens.
    """

    def write(self, request: LetterRequest) -> AsyncIterator[str]: ...

    async def close(self) -> None: ...
