"""Opaque cursors for the jobs connection: (created_at, id) of the last edge."""

import base64
import binascii
from datetime import UTC, datetime

from core.errors import BadUserInput
from db.jobs import JobRecord
from resolvers.ids import job_id_of

MAX_PAGE_SIZE = 100
#: a page's size when its ``first`` is left out
DEFAULT_PAGE_SIZE = 20


def encode_cursor(job: JobRecord) -> str:
    raw = f"{job.created_at.isoformat()}|{job.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        created_at, written_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        # In UTC, as the API wrote it: a moment no backend can hold (year 1 at +14:00)
        # overflows here, not in the driver.
        moment = datetime.fromisoformat(created_at).astimezone(UTC)
    except (ValueError, OverflowError, binascii.Error, UnicodeError) as e:
        raise BadUserInput("after", "Not a cursor from this API.") from e
    # Only what this API wrote reaches SQL: no NUL or other text Postgres would refuse.
    job_id = job_id_of(written_id)
    if job_id is None:
        raise BadUserInput("after", "Not a cursor from this API.")
    return moment, job_id


def validate_page_size(first: int) -> None:
    if not 0 <= first <= MAX_PAGE_SIZE:
        raise BadUserInput("first", f"first must be between 0 and {MAX_PAGE_SIZE}.")
