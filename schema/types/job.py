from datetime import datetime

import strawberry

from core.events import JobEvent
from core.jobs import JobStatus, Tone
from db.jobs import JobRecord
from schema.types.usage import Usage

#: The fields of a Job that every event of the job carries (GraphQL names): a selection of
#: only these can be answered from the event alone, with ``Job.from_event``.
FIELDS_IN_EVENTS = frozenset(
    {"__typename", "id", "status", "seq", "progress", "attempts", "error", "updatedAt"}
)


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
    error: str | None = strawberry.field(
        description=(
            "Last error, human readable: why the job FAILED, or, while it waits PENDING after"
            " a transient failure, that failure and when it runs again. Null before any, and"
            " again once the job is cancelled, retried or running its next attempt."
        )
    )
    attempts: int
    seq: int = strawberry.field(description="The job's event sequence number now.")
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None = strawberry.field(
        description=(
            "When the job reached its terminal status (COMPLETED, FAILED or CANCELLED); null"
            " before, and again after retryJob."
        )
    )
    usage: Usage | None = strawberry.field(
        description="What writing the letter cost; null until the job is COMPLETED."
    )
    #: the event this job was made from (``from_event``): every reader of the same
    #: document shares its result (``schema.sharing``)
    source_event: strawberry.Private[JobEvent | None] = None

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

    @classmethod
    def from_event(cls, event: JobEvent) -> "Job":
        """The job as of ``event``, for a selection of ``FIELDS_IN_EVENTS`` only.

        The event does not carry the other fields; they are left empty (null, and so an
        error for the non-null ones), never guessed.
        """
        return cls(
            id=strawberry.ID(event.job_id),
            status=event.status,
            seq=event.seq,
            progress=event.progress,
            attempts=event.attempt,
            error=event.error,
            updated_at=event.at,
            tone=None,  # type: ignore[arg-type]
            job_description=None,  # type: ignore[arg-type]
            cv_text=None,  # type: ignore[arg-type]
            company_name=None,
            applicant_name=None,
            cover_letter=None,
            partial_text=None,  # type: ignore[arg-type]
            created_at=None,  # type: ignore[arg-type]
            completed_at=None,
            usage=None,
            source_event=event,
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
