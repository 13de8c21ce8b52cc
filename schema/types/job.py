from datetime import datetime

import strawberry

from core.jobs import JobStatus, Tone
from db.jobs import JobRecord
from schema.types.usage import Usage


@strawberry.type
class Job:
    id: strawberry.ID
    status: JobStatus
    tone: Tone
    job_description: str
    cv_text: str
    company_name: str | None
    applicant_name: str | None
    cover_letter: str | None = strawberry.field(description="The final text, once COMPLETED.")
    partial_text: str = strawberry.field(description='The text so far ("" before any).')
    progress: float = strawberry.field(description="0.0 .. 1.0")
    error: str | None = strawberry.field(description="Last error, human readable.")
    attempts: int
    seq: int = strawberry.field(description="The job's event sequence number now.")
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    usage: Usage | None = strawberry.field(
        description="What writing the letter cost; null until the job is COMPLETED."
    )

    @classmethod
    def from_record(cls, record: JobRecord) -> "Job":
        return cls(
            id=strawberry.ID(record.id),
            status=record.status,
            tone=Tone(record.tone),
            job_description=record.job_description,
            cv_text=record.cv_text,
            company_name=record.company_name,
            applicant_name=record.applicant_name,
            cover_letter=record.cover_letter,
            partial_text=record.partial_text,
            progress=record.progress,
            error=record.error,
            attempts=record.attempts,
            seq=record.seq,
            created_at=record.created_at,
            updated_at=record.updated_at,
            completed_at=record.completed_at,
            usage=None if record.usage is None else Usage.from_usage(record.usage),
        )


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class JobEdge:
    cursor: str
    node: Job


@strawberry.type
class JobConnection:
    edges: list[JobEdge]
    page_info: PageInfo
    total_count: int
