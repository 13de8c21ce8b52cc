"""Celery no-op tasks on the same RabbitMQ, results over RPC, late acks, confirmed publishes.

Worker: ``python -m celery -A bench.baselines.celery_app worker --pool solo ...``
with BENCH_AMQP_URL and BENCH_PREFIX set.
"""

import os
from typing import Any

from celery import Celery
from celery.signals import worker_ready

_prefix = os.environ.get("BENCH_PREFIX", "bench.")
app = Celery("bench", broker=os.environ.get("BENCH_AMQP_URL"), backend="rpc://")
app.conf.update(
    task_default_queue=f"{_prefix}celery",
    task_default_exchange=f"{_prefix}celery",
    task_default_routing_key=f"{_prefix}celery",
    task_acks_late=True,
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    worker_prefetch_multiplier=4,
    worker_enable_remote_control=False,
    worker_send_task_events=False,
    worker_hijack_root_logger=False,
    broker_transport_options={"confirm_publish": True},
    broker_connection_retry_on_startup=True,
)


@app.task(name="noop")
def noop() -> None:
    return None


@worker_ready.connect
def _announce(**kwargs: Any) -> None:
    print("celery worker ready", flush=True)
