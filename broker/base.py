"""What every broker backend offers; the worker and the API only see this."""

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

from core.events import JobEvent
from core.jobs import JobKind

log = logging.getLogger(__name__)


class Outcome(Enum):
    """What the consumer tells the broker to do with a job message."""

    #: done with it: the job's next state is committed
    ACK = "ack"
    #: put it back for another try (this process could not handle it now)
    REQUEUE = "requeue"
    #: unusable: park it in the dead-letter queue for an operator
    DEAD_LETTER = "dead_letter"


class Resync:
    """Events may have been lost (the broker reconnected): re-read the truth."""

    def __repr__(self) -> str:
        return "Resync()"


RESYNC = Resync()


class BrokerUnavailable(Exception):
    """A publish could not be confirmed (broker down, blocked or timed out)."""


class MalformedMessage(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class JobMessage:
    job_id: str
    kind: JobKind

    def to_json(self) -> bytes:
        return json.dumps({"job_id": self.job_id, "kind": self.kind.value}).encode()

    @classmethod
    def from_json(cls, body: bytes) -> "JobMessage":
        try:
            data = json.loads(body)
            job_id, kind = data["job_id"], data["kind"]
        except (ValueError, TypeError, KeyError) as e:
            raise MalformedMessage(f"not a job message: {body[:80]!r}") from e
        if not isinstance(job_id, str) or not isinstance(kind, str):
            raise MalformedMessage("job_id and kind must be strings")
        try:
            return cls(job_id=job_id, kind=JobKind(kind))
        except ValueError as e:
            raise MalformedMessage(f"unknown job kind: {kind[:40]!r}") from e


@dataclass(frozen=True, slots=True)
class Delivery:
    body: bytes
    #: the broker delivered this message before (its consumer died or gave it back)
    redelivered: bool = False
    headers: Mapping[str, Any] = field(default_factory=dict)


JobHandler = Callable[[Delivery], Awaitable[Outcome]]


class Broker(Protocol):
    """Job messages (durable, confirmed, at least once) and job events (fan-out, best effort)."""

    #: whether job messages survive a restart of this process
    durable: bool

    async def connect(self) -> None: ...

    async def disconnect(self) -> None: ...

    async def publish_job(
        self,
        message: JobMessage,
        *,
        delay: float = 0.0,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Publish and wait for the broker's confirm; raise ``BrokerUnavailable`` if it fails.

        With ``delay`` the message reaches the jobs queue only after that many seconds;
        ``headers`` (request id, trace context) travel with it to the worker.
        """
        ...

    async def consume_jobs(self, handler: JobHandler, *, prefetch: int) -> None:
        """Start handing job messages to ``handler``, at most ``prefetch`` at once."""
        ...

    async def stop_consuming(self, grace: float | None = None) -> None:
        """Take no more messages; those being handled get ``grace`` seconds to finish.

        Handlers still running after that are cancelled and their messages requeued.
        """
        ...

    async def publish_event(self, event: JobEvent) -> None: ...

    def events(self) -> AsyncIterator[JobEvent | Resync]:
        """Every job event published by any process, and a ``Resync`` after a gap."""
        ...

    async def queue_depths(self) -> dict[str, int]:
        """Messages waiting in the jobs queue and in the dead-letter queue."""
        ...

    async def ready(self) -> bool:
        """Whether the broker can take a publish right now."""
        ...

    async def work_through_dead_letters(self, handle: Callable[[bytes], Awaitable[bool]]) -> None:
        """Hand each dead-lettered body to ``handle`` (an operator requeues them): one it
        returns True for leaves the queue once handled, the rest stay parked, and so does
        every one not reached when ``handle`` raises (taken first, they were lost)."""
        ...

    async def dead_letters(self) -> list[bytes]:
        """The bodies parked in the dead-letter queue, left there (for tests)."""
        ...


async def finish_or_cancel(tasks: set[asyncio.Task[None]], grace: float | None) -> None:
    """Wait for ``tasks`` up to ``grace`` seconds, then cancel what is left."""
    if not tasks:
        return
    _, late = await asyncio.wait(set(tasks), timeout=grace)
    for task in late:
        task.cancel()
    if late:
        log.warning("handed back %d job(s) still running after the grace period", len(late))
        await asyncio.gather(*late, return_exceptions=True)
