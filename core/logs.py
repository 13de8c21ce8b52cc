"""Logging: one JSON object per line in production, readable text in dev.

Every record carries the job, user, attempt and request it is about, taken
from context variables the worker and the API bind; texts (CVs, letters,
tokens) are never logged anywhere in the code.
"""

import contextlib
import contextvars
import json
import logging
import sys
import traceback
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from core.settings import Settings

#: the fields bound to the current task, added to every record
log = logging.getLogger(__name__)

CONTEXT_FIELDS = ("request_id", "job_id", "user_id", "attempt")
_context: dict[str, contextvars.ContextVar[Any]] = {
    name: contextvars.ContextVar(name, default=None) for name in CONTEXT_FIELDS
}


@contextlib.contextmanager
def bound(**fields: Any) -> Iterator[None]:
    """Bind context fields (``job_id=…``) for the records logged inside the block."""
    tokens = [(_context[name], _context[name].set(value)) for name, value in fields.items()]
    try:
        yield
    finally:
        for variable, token in reversed(tokens):
            variable.reset(token)


def unbound() -> contextlib.AbstractContextManager[None]:
    """No context fields for the records logged inside the block: a line about the whole
    process (an outage) that a job's task happens to log is not that job's."""
    return bound(**dict.fromkeys(CONTEXT_FIELDS))


def current(name: str) -> Any:
    """The value bound to a context field in this task, or None."""
    return _context[name].get()


_default_factory = logging.getLogRecordFactory()


def _record_with_context(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _default_factory(*args, **kwargs)
    for name, variable in _context.items():
        setattr(record, name, variable.get())
    return record


def install_record_context() -> None:
    """Make every log record carry the bound context fields (idempotent)."""
    logging.setLogRecordFactory(_record_with_context)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        context = " ".join(
            f"{name}={getattr(record, name)}"
            for name in CONTEXT_FIELDS
            if getattr(record, name, None) is not None
        )
        line = super().format(record)
        return f"{line} [{context}]" if context else line


#: libraries whose DEBUG lines carry query arguments, message bodies or HTTP payloads
#: (so CVs and letters): held at INFO whatever the root level
CHATTY_LIBRARIES = (
    "databases",
    "aiosqlite",
    "asyncpg",
    "sqlalchemy",
    "aiormq",
    "aio_pika",
    "openai",
    "httpx",
    "httpcore",
)


class PathsWithoutQueries(logging.Filter):
    """uvicorn's access line with the path alone: a GraphQL GET carries its query and
    variables in the query string (a password sent to ``login``, a CV)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            path, _, query = args[2].partition("?")
            if query:
                record.args = (args[0], args[1], f"{path}?…", *args[3:])
        return True


_PATHS_WITHOUT_QUERIES = PathsWithoutQueries()


def quiet_libraries() -> None:
    for name in CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(logging.INFO)
    # Each websocket frame, in and out, which the websockets library logs at DEBUG through
    # uvicorn's error logger: an excerpt of its text (a password, a token's tail, a CV).
    logging.getLogger("uvicorn.error").addFilter(_WEBSOCKET_FRAMES)
    logging.getLogger("uvicorn.access").addFilter(_PATHS_WITHOUT_QUERIES)
    # A websocket refused for its Origin, at WARNING and naming strawberry's parameter for
    # the setting: anyone's page could fill the log with it. ``api.graphql`` tells it at
    # DEBUG, as every other refusal of a client's.
    logging.getLogger("strawberry.ws").addFilter(_REFUSED_ORIGINS)


class DroppedLines(logging.Filter):
    """Drops a library's lines whose message template starts with one of ``templates``
    (matched on the template, so its arguments never decide)."""

    def __init__(self, *templates: str) -> None:
        super().__init__()
        self.templates = templates

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and record.msg.startswith(self.templates))


_WEBSOCKET_FRAMES = DroppedLines("< %s", "> %s")
_REFUSED_ORIGINS = DroppedLines("Rejected WebSocket connection from origin")
#: a websocket's accept and its opening and closing, which uvicorn logs at INFO through its
#: error logger, one of each per socket: lines of the access log, kept with it
_WEBSOCKET_ACCESS_LINES = DroppedLines(
    '%s - "WebSocket %s"', "connection open", "connection closed"
)


def configure_logging(settings: Settings) -> None:
    install_record_context()
    quiet_libraries()
    uvicorn_errors = logging.getLogger("uvicorn.error")
    if settings.access_log_enabled:
        uvicorn_errors.removeFilter(_WEBSOCKET_ACCESS_LINES)
    else:
        uvicorn_errors.addFilter(_WEBSOCKET_ACCESS_LINES)
    handler = logging.StreamHandler(sys.stderr)
    text = settings.log_format == "text" or (settings.is_dev and settings.log_format is None)
    if text:
        handler.setFormatter(TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    else:
        handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
    if settings.unknown_variables:
        log.warning(
            "no setting reads %s (a name mistyped? README, Settings, lists every one)",
            ", ".join(settings.unknown_variables),
        )


def where_it_failed(error: BaseException) -> str:
    """An error's type and traceback without its message, for the log of code that handles
    letters: a driver quotes the value it refused ("invalid input for query argument $1:
    'Dear ...'"), and letters are never logged."""
    frames = "".join(traceback.format_tb(error.__traceback__))
    return f"{type(error).__name__} (its message withheld)\nTraceback:\n{frames}".rstrip()
