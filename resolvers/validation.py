"""Input limits from the contract, checked before anything is written."""

import unicodedata

from email_validator import EmailNotValidError, validate_email

from core.errors import BadUserInput
from schema.types.inputs import CoverLetterInput

JOB_DESCRIPTION_MAX = 20_000
CV_TEXT_MAX = 50_000
NAME_MAX = 200
IDEMPOTENCY_KEY_MAX = 200
PASSWORD_MIN = 8
PASSWORD_MAX = 1_024
EMAIL_MAX = 320


def _require_storable(field: str, value: str) -> None:
    """Text a database can hold: UTF-8 encodable (no lone surrogates) and without NUL."""
    if "\x00" in value:
        raise BadUserInput(field, f"{field} must not contain NUL characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as e:
        raise BadUserInput(field, f"{field} must be valid Unicode text.") from e


def _require_length(field: str, value: str, *, minimum: int, maximum: int) -> None:
    _require_storable(field, value)
    if len(value.strip()) < minimum:
        raise BadUserInput(field, f"{field} must not be empty.")
    if len(value) > maximum:
        raise BadUserInput(field, f"{field} must be at most {maximum} characters.")


def validate_cover_letter_input(data: CoverLetterInput) -> None:
    _require_length("jobDescription", data.job_description, minimum=1, maximum=JOB_DESCRIPTION_MAX)
    _require_length("cvText", data.cv_text, minimum=1, maximum=CV_TEXT_MAX)
    for field, value in (
        ("companyName", data.company_name),
        ("applicantName", data.applicant_name),
    ):
        if value is not None:
            _require_storable(field, value)
        # stored trimmed (``blank_to_none``): the limit is on what is stored
        if value is not None and len(value.strip()) > NAME_MAX:
            raise BadUserInput(field, f"{field} must be at most {NAME_MAX} characters.")


def validate_idempotency_key(key: str | None) -> None:
    if key is not None:
        _require_length("idempotencyKey", key, minimum=1, maximum=IDEMPOTENCY_KEY_MAX)


def normalize_email(email: str, *, new: bool = False) -> str:
    """The form an email is stored and looked up in: trimmed, lower-case, in one Unicode
    form (NFC) and with its domain as IDNA writes it, so that one address is one account.

    A ``new`` address (``register``) must be a valid one (``email-validator``'s reading of
    RFC 5321: no ``a..b@x.com``, ``a@b.com.``, ``<x>@y.com``, IP addresses or quoted
    parts). Signing in, an address registered before that check is read as it was stored.
    """
    trimmed = email.strip()
    try:
        return validate_email(trimmed, check_deliverability=False).normalized.lower()
    except EmailNotValidError as e:
        if new or len(trimmed) > EMAIL_MAX or not trimmed.isprintable() or "@" not in trimmed:
            raise BadUserInput("email", f"Enter a valid email address. {e}") from e
        return unicodedata.normalize("NFC", trimmed).lower()


def validate_password(password: str) -> None:
    _require_storable("password", password)
    if len(password) < PASSWORD_MIN:
        raise BadUserInput("password", f"Password must be at least {PASSWORD_MIN} characters.")
    if len(password) > PASSWORD_MAX:
        raise BadUserInput("password", f"Password must be at most {PASSWORD_MAX} characters.")


def blank_to_none(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None
