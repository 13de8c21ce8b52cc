import logging

import strawberry

from broker.outbox import enqueue
from core.events import EventType
from core.jobs import JobKind
from core.logs import bound
from core.metrics import JOBS_CREATED
from core.tracing import tracer
from db import jobs
from db.jobs import NewJob
from resolvers.context import Info
from resolvers.permissions import IsAuthenticated
from resolvers.quotas import take_job_quota
from resolvers.validation import (
    blank_to_none,
    validate_cover_letter_input,
    validate_idempotency_key,
)
from schema.types.inputs import CoverLetterInput
from schema.types.job import Job

log = logging.getLogger(__name__)


@strawberry.mutation(permission_classes=[IsAuthenticated])
async def create_cover_letter(
    info: Info, input: CoverLetterInput, idempotency_key: str | None = None
) -> Job:
    user = info.context.require_user()
    validate_cover_letter_input(input)
    validate_idempotency_key(idempotency_key)
    await take_job_quota(info, idempotency_key)
    with tracer.start_as_current_span("createCoverLetter") as span:
        record, created = await jobs.insert_job(
            info.context.db,
            NewJob(
                user_id=user.id,
                kind=JobKind.COVER_LETTER,
                tone=input.tone.value,
                job_description=input.job_description,
                cv_text=input.cv_text,
                company_name=blank_to_none(input.company_name),
                applicant_name=blank_to_none(input.applicant_name),
                idempotency_key=idempotency_key,
            ),
        )
        if created:
            JOBS_CREATED.inc()
            with bound(job_id=record.id, user_id=user.id):
                log.info("job created")
                await info.context.broker.publish_event(record.to_event(EventType.STATUS))
                # A broker outage never fails an accepted job: the sweep publishes it later.
                await enqueue(info.context.db, info.context.broker, record)
        span.set_attribute("careerops.job_id", record.id)
    return Job.from_record(record)
