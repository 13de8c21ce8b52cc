"""What a handler may use, handed in by the worker's lifespan."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from broker.base import Broker
from core.settings import Settings
from db.connection import Db, utcnow
from worker.flushes import TextFlushes
from worker.writers.base import Writer


@dataclass(frozen=True, slots=True)
class WorkerDeps:
    db: Db
    broker: Broker
    writer: Writer
    settings: Settings
    #: this worker process, as its claims and its row in ``workers`` name it
    worker_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    #: the text flushes of every job this worker runs, grouped into shared statements
    text_flushes: TextFlushes = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "text_flushes", TextFlushes(self.db))

    def lease_deadline(self) -> datetime:
        """When a lease taken or renewed now runs out."""
        return utcnow() + timedelta(seconds=self.settings.lease_seconds)
