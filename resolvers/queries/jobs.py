from collections.abc import Iterable, Sequence

import strawberry
from strawberry.types.nodes import SelectedField, Selection

from core.jobs import JobStatus
from db import jobs as jobs_repository
from db.jobs import JobRecord
from resolvers.context import Info
from resolvers.pagination import (
    DEFAULT_PAGE_SIZE,
    decode_cursor,
    encode_cursor,
    validate_page_size,
)
from resolvers.permissions import IsAuthenticated
from schema.types.job import Job, JobConnection, JobEdge, PageInfo

#: a page ends early, with ``hasNextPage`` still true, once the texts it was asked for
#: pass this many characters: 100 jobs of the longest texts the contract allows answered
#: 84 MB to a 117-byte query, and six such reads at once took the API to 700 MB. A job's
#: own texts fit many times over, so a page always holds at least one job.
MAX_PAGE_TEXT_CHARS = 2_000_000
#: the long texts of a job, by field name: the attributes of its record
_TEXTS = {
    "jobDescription": "job_description",
    "cvText": "cv_text",
    "partialText": "partial_text",
    "coverLetter": "cover_letter",
}


@strawberry.field(permission_classes=[IsAuthenticated], description="newest first; first <= 100")
async def jobs(
    info: Info,
    status: JobStatus | None = None,
    first: int = DEFAULT_PAGE_SIZE,
    after: str | None = None,
) -> JobConnection:
    user = info.context.require_user()
    validate_page_size(first)
    page = await jobs_repository.list_jobs(
        info.context.db,
        user_id=user.id,
        status=status,
        first=first,
        after=decode_cursor(after) if after else None,
    )
    records = _within_text_budget(page.jobs, _texts_selected(info.selected_fields))
    edges = [
        JobEdge(cursor=encode_cursor(record), node=Job.from_record(record)) for record in records
    ]
    return JobConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next_page or len(records) < len(page.jobs),
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=page.total_count,
    )


def _texts_selected(selections: Iterable[Selection]) -> set[str]:
    """The records' attributes behind the long texts a selection asks for, at any depth
    and through fragments."""
    found: set[str] = set()
    for selection in selections:
        if isinstance(selection, SelectedField) and selection.name in _TEXTS:
            found.add(_TEXTS[selection.name])
        found |= _texts_selected(selection.selections)
    return found


def _within_text_budget(records: Sequence[JobRecord], texts: set[str]) -> Sequence[JobRecord]:
    """The first records whose ``texts`` add up to at most ``MAX_PAGE_TEXT_CHARS`` (the
    first always)."""
    if not texts:
        return records
    total = 0
    for kept, record in enumerate(records):
        total += sum(len(getattr(record, text) or "") for text in texts)
        if total > MAX_PAGE_TEXT_CHARS and kept > 0:
            return records[:kept]
    return records
