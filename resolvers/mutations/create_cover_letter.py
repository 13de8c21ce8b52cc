import logging

import strawberry

from broker.outbox import enqueue
from core.errors import Conflict
from core.events import EventType
from core.jobs import JobKind
from core.logs import bound
from core.metrics import JOBS_CREATED
from core.tracing import span
from db import jobs
from db.jobs import JobRecord, NewJob
from resolvers.context import Info
from resolvers.permissions import HasValidToken
from resolvers.quotas import new_job_slot, refuse_unplaced_job
from resolvers.validation import (
    blank_to_none,
    validate_cover_letter_input,
    validate_idempotency_key,
)
from schema.types.inputs import CoverLetterInput
from schema.types.job import Job

log = logging.getLogger(__name__)


def _asks_for(job: JobRecord, new: NewJob) -> bool:
    """Whether ``new`` is the request that made ``job`` (a repeat of it)."""
    return (
        job.tone,
        job.job_description,
        job.cv_text,
        job.company_name,
        job.applicant_name,
    ) == (new.tone, new.job_description, new.cv_text, new.company_name, new.applicant_name)


# The account is not read first: the INSERT checks that it exists (and its active jobs).
@strawberry.mutation(permission_classes=[HasValidToken])
async def create_cover_letter(
    info: Info, input: CoverLetterInput, idempotency_key: str | None = None
) -> Job:
    user_id = info.context.caller_id()
    validate_cover_letter_input(input)
    validate_idempotency_key(idempotency_key)
    new = NewJob(
        user_id=user_id,
        kind=JobKind.COVER_LETTER,
        tone=input.tone.value,
        job_description=input.job_description,
        cv_text=input.cv_text,
        company_name=blank_to_none(input.company_name),
        applicant_name=blank_to_none(input.applicant_name),
        idempotency_key=idempotency_key,
    )
    max_active = info.context.settings.max_active_jobs
    with span("createCoverLetter") as request_span:
        db = info.context.db
        # A repeat is answered with the job it names, even over the minute's limit. Only a
        # request that goes on to place a job takes a slot: the named job deleted before
        # the INSERT, a repeat would place a new one for free.
        repeated = idempotency_key and await jobs.job_with_idempotency_key(
            db, user_id, idempotency_key
        )
        if repeated:
            inserted: tuple[JobRecord, bool] | None = (repeated, False)
        else:
            async with new_job_slot(info) as give_back:
                inserted = await jobs.insert_job(db, new, max_active=max_active)
                if inserted is None or not inserted[1]:
                    give_back()  # refused, or a repeat of a request sent beside it
        if inserted is None:
            await refuse_unplaced_job(info)
        record, created = inserted
        if not created and not _asks_for(record, new):
            # Stripe's rule: a key names one request. Another letter under a used key is
            # a client's mistake (a key reused), not a repeat to answer with the old job.
            raise Conflict("This idempotencyKey was used for a different letter request.")
        if created:
            JOBS_CREATED.inc()
            with bound(job_id=record.id, user_id=user_id):
                log.info("job created")
                await info.context.broker.publish_event(record.to_event(EventType.STATUS))
                # A broker outage never fails an accepted job: the sweep publishes it later.
                await enqueue(info.context.db, info.context.broker, record)
        request_span.set_attribute("careerops.job_id", record.id)
    return Job.from_record(record)
