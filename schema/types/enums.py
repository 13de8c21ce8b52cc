"""The domain enums, exposed to GraphQL under the contract's names."""

import strawberry

from core.events import EventType
from core.jobs import JobStatus, Tone

JobStatusEnum = strawberry.enum(JobStatus, name="JobStatus")
ToneEnum = strawberry.enum(Tone, name="Tone")
JobEventTypeEnum = strawberry.enum(EventType, name="JobEventType")

__all__ = ["JobEventTypeEnum", "JobStatusEnum", "ToneEnum"]
