"""The state machine, walked pair by pair."""

import itertools

import pytest

from core.jobs import ACTIVE, TERMINAL, TRANSITIONS, JobStatus, allowed_from, can_transition

LEGAL = {
    (JobStatus.PENDING, JobStatus.PROCESSING),
    (JobStatus.PENDING, JobStatus.CANCELLED),
    (JobStatus.PROCESSING, JobStatus.PROCESSING),  # takeover by a new attempt
    (JobStatus.PROCESSING, JobStatus.COMPLETED),
    (JobStatus.PROCESSING, JobStatus.FAILED),
    (JobStatus.PROCESSING, JobStatus.PENDING),  # transient error: retry later
    (JobStatus.PROCESSING, JobStatus.CANCELLED),
    (JobStatus.FAILED, JobStatus.PENDING),  # retryJob
    (JobStatus.CANCELLED, JobStatus.PENDING),  # retryJob
}


@pytest.mark.parametrize(("source", "target"), list(itertools.product(JobStatus, JobStatus)))
def test_every_pair_is_legal_exactly_when_the_design_says(
    source: JobStatus, target: JobStatus
) -> None:
    assert can_transition(source, target) == ((source, target) in LEGAL)
    assert (source in allowed_from(target)) == ((source, target) in LEGAL)


def test_completed_is_final() -> None:
    assert TRANSITIONS[JobStatus.COMPLETED] == frozenset()


def test_terminal_and_active_split_the_statuses() -> None:
    assert TERMINAL | ACTIVE == set(JobStatus)
    assert not TERMINAL & ACTIVE


def test_statuses_are_their_graphql_names() -> None:
    assert [status.value for status in JobStatus] == [
        "PENDING",
        "PROCESSING",
        "COMPLETED",
        "FAILED",
        "CANCELLED",
    ]
