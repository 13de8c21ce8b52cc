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
        # Every subscriber of a job converts the same event in turn (the hub hands them all
        # the one object): one conversion serves them all. Nothing writes to the result.
        last = _last_converted[0]
        if last is not None and last.source_event is event:
            return last
        converted = _last_converted[0] = cls(
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
        return converted


#: the last event converted, with its source (one slot: a fan-out converts events in turn)
_last_converted: list[JobEvent | None] = [None]
