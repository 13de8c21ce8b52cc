"""What a handler may use, handed in by the worker's lifespan."""

from dataclasses import dataclass

from broker.base import Broker
from core.settings import Settings
from db.connection import Db
from worker.writers.base import Writer


@dataclass(frozen=True, slots=True)
class WorkerDeps:
    db: Db
    broker: Broker
    writer: Writer
    settings: Settings
