"""Opaque cursors for the jobs connection: (created_at, id) of the last edge."""

import base64
import binascii
from datetime import datetime

from core.errors import BadUserInput
from db.jobs import JobRecord
from resolvers.ids import is_job_id

MAX_PAGE_SIZE = 100


def encode_cursor(job: JobRecord) -> str:
    raw = f"{job.created_at.isoformat()}|{job.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        created_at, job_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        moment = datetime.fromisoformat(created_at)
    except (ValueError, binascii.Error, UnicodeError) as e:
        raise BadUserInput("after", "Not a cursor from this API.") from e
    # Only what this API wrote reaches SQL: no NUL or other text Postgres would refuse.
    if not is_job_id(job_id):
        raise BadUserInput("after", "Not a cursor from this API.")
    return moment, job_id


def validate_page_size(first: int) -> None:
    if not 0 <= first <= MAX_PAGE_SIZE:
        raise BadUserInput("first", f"first must be between 0 and {MAX_PAGE_SIZE}.")
