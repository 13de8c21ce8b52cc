import uuid


def job_id_of(value: str) -> str | None:
    """The id of the job ``value`` names, as jobs are stored (a UUID's lower-case, hyphenated
    form; RFC 9562 reads a UUID in either case, and some clients send it upper-case); None
    for anything that is not a UUID: it cannot name a job, so it is simply not found."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None
