"""The cover-letter job: stream the writer's letter into the job."""

from db.jobs import JobRecord
from worker.deps import WorkerDeps
from worker.stream import JobStream
from worker.writers.base import LetterRequest


def letter_request(job: JobRecord) -> LetterRequest:
    return LetterRequest(
        job_description=job.job_description,
        cv_text=job.cv_text,
        tone=job.tone,
        company_name=job.company_name,
        applicant_name=job.applicant_name,
    )


async def write_cover_letter(job: JobRecord, stream: JobStream, deps: WorkerDeps) -> None:
    await stream.pipe(deps.writer.write(letter_request(job)))
