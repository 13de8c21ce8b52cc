"""The writer interface every LLM backend implements."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from core.usage import Usage

__all__ = ["LetterRequest", "MeteredWriter", "Usage", "Writer", "aclose", "texts_of"]


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


@runtime_checkable
class MeteredWriter(Protocol):
    """A writer that can also say what a letter cost.

    ``write_with_usage`` streams the same text chunks as ``write``, then one
    ``Usage`` as its last item. The cover-letter handler prefers it when present.
    """

    def write_with_usage(self, request: LetterRequest) -> AsyncIterator[str | Usage]: ...


async def aclose(iterator: AsyncIterator[object]) -> None:
    """Close an async generator (a plain iterator has nothing to close)."""
    close = getattr(iterator, "aclose", None)
    if close is not None:
        await close()


async def texts_of(items: AsyncIterator[str | Usage]) -> AsyncIterator[str]:
    """The text chunks of a metered stream; closing this closes ``items`` too."""
    try:
        async for item in items:
            if isinstance(item, str):
                yield item
    finally:
        await aclose(items)
