"""The registry of job kinds: adding a kind is one handler file and one entry here."""

from collections.abc import Awaitable, Callable, Mapping

from core.jobs import JobKind
from db.jobs import JobRecord
from worker.deps import WorkerDeps
from worker.handlers.cover_letter import write_cover_letter
from worker.stream import JobStream

#: writes the job's text into the stream; raises ``Retry`` or ``PermanentError`` on failure
Handler = Callable[[JobRecord, JobStream, WorkerDeps], Awaitable[None]]

HANDLERS: Mapping[JobKind, Handler] = {JobKind.COVER_LETTER: write_cover_letter}
