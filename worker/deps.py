"""What a handler may use, handed in by the worker's lifespan."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from broker.base import Broker
from core.settings import Settings
from db.connection import Db, utcnow
from worker.writers.base import Writer


@dataclass(frozen=True, slots=True)
class WorkerDeps:
    db: Db
    broker: Broker
    writer: Writer
    settings: Settings

    def lease_deadline(self) -> datetime:
        """When a lease taken or renewed now runs out."""
        return utcnow() + timedelta(seconds=self.settings.lease_seconds)
