import uuid


def is_job_id(value: str) -> bool:
    """A well-formed UUID; anything else cannot name a job, so it is simply not found."""
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
