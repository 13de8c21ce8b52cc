"""The job state machine: the one table every writer of a job's status obeys."""

from collections.abc import Mapping
from enum import Enum


class JobStatus(str, Enum):
    #: stored and waiting for a worker (first run, or a retry after a delay)
    PENDING = "PENDING"
    #: a worker is writing the letter; ``attempts`` says which attempt
    PROCESSING = "PROCESSING"
    #: the letter is written; ``cover_letter`` holds it
    COMPLETED = "COMPLETED"
    #: attempts exhausted or a permanent error; ``error`` says why
    FAILED = "FAILED"
    #: stopped by its owner; the text written so far is kept
    CANCELLED = "CANCELLED"


class JobKind(str, Enum):
    #: write a cover letter from a job description and a CV
    COVER_LETTER = "cover_letter"


class Tone(str, Enum):
    #: clear and businesslike; the default
    PROFESSIONAL = "PROFESSIONAL"
    #: warm and personable
    FRIENDLY = "FRIENDLY"
    #: energetic, shows excitement about the role
    ENTHUSIASTIC = "ENTHUSIASTIC"
    #: traditional and reserved
    FORMAL = "FORMAL"
    #: direct and assured about fit
    CONFIDENT = "CONFIDENT"


TRANSITIONS: Mapping[JobStatus, frozenset[JobStatus]] = {
    JobStatus.PENDING: frozenset({JobStatus.PROCESSING, JobStatus.CANCELLED}),
    # PROCESSING -> PROCESSING is a takeover: a new attempt fences out the old one.
    JobStatus.PROCESSING: frozenset(
        {
            JobStatus.PROCESSING,
            JobStatus.COMPLETED,
            JobStatus.FAILED,
            JobStatus.PENDING,
            JobStatus.CANCELLED,
        }
    ),
    JobStatus.COMPLETED: frozenset(),
    JobStatus.FAILED: frozenset({JobStatus.PENDING}),
    JobStatus.CANCELLED: frozenset({JobStatus.PENDING}),
}

TERMINAL: frozenset[JobStatus] = frozenset(
    {JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED}
)
ACTIVE: frozenset[JobStatus] = frozenset({JobStatus.PENDING, JobStatus.PROCESSING})
#: what ``retryJob`` runs again (the contract's "FAILED or CANCELLED back to PENDING")
RETRYABLE: frozenset[JobStatus] = frozenset({JobStatus.FAILED, JobStatus.CANCELLED})


def allowed_from(target: JobStatus) -> frozenset[JobStatus]:
    """The statuses a job may be in for a move to ``target`` to be legal."""
    return frozenset(source for source, targets in TRANSITIONS.items() if target in targets)


def can_transition(source: JobStatus, target: JobStatus) -> bool:
    return target in TRANSITIONS[source]
