"""Opaque cursors for the jobs connection: (created_at, id) of the last edge."""

import base64
import binascii
from datetime import datetime

from core.errors import BadUserInput
from db.jobs import JobRecord

MAX_PAGE_SIZE = 100


def encode_cursor(job: JobRecord) -> str:
    raw = f"{job.created_at.isoformat()}|{job.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        created_at, job_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        return datetime.fromisoformat(created_at), job_id
    except (ValueError, binascii.Error, UnicodeDecodeError) as e:
        raise BadUserInput("after", "Not a cursor from this API.") from e


def validate_page_size(first: int) -> None:
    if not 0 <= first <= MAX_PAGE_SIZE:
        raise BadUserInput("first", f"first must be between 0 and {MAX_PAGE_SIZE}.")
