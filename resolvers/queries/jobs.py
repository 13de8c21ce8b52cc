import strawberry

from core.jobs import JobStatus
from db import jobs as jobs_repository
from resolvers.context import Info
from resolvers.pagination import (
    DEFAULT_PAGE_SIZE,
    decode_cursor,
    encode_cursor,
    validate_page_size,
)
from resolvers.permissions import IsAuthenticated
from schema.types.job import Job, JobConnection, JobEdge, PageInfo


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
    edges = [
        JobEdge(cursor=encode_cursor(record), node=Job.from_record(record)) for record in page.jobs
    ]
    return JobConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next_page, end_cursor=edges[-1].cursor if edges else None
        ),
        total_count=page.total_count,
    )
