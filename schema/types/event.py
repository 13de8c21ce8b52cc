from datetime import datetime

import strawberry

from core.events import EventType
from core.events import JobEvent as JobEventRecord
from core.jobs import JobStatus


@strawberry.type
class JobEvent:
    job_id: strawberry.ID
    seq: int = strawberry.field(description="Strictly increasing per job.")
    type: EventType
    status: JobStatus
    attempt: int = strawberry.field(description="Which attempt produced this state.")
    progress: float
    delta: str | None = strawberry.field(description="DELTA: the text appended by this event.")
    text: str | None = strawberry.field(
        description="SNAPSHOT and STATUS: the whole text as of this seq."
    )
    error: str | None
    at: datetime
    #: what this event's results are shared by (``schema.sharing``); not in the schema
    source_event: strawberry.Private[JobEventRecord | None] = None

    @classmethod
    def from_event(cls, event: JobEventRecord) -> "JobEvent":
        return cls(
            job_id=strawberry.ID(event.job_id),
            seq=event.seq,
            type=event.type,
            status=event.status,
            attempt=event.attempt,
            progress=event.progress,
            delta=event.delta,
            text=event.text,
            error=event.error,
            at=event.at,
            source_event=event,
        )
