"""Prometheus metrics. Label sets stay bounded: never a job id or a user id.

These live on prometheus-client's default registry, as its instrumentation
idiom expects; every process exposes them on its own ``/metrics``.
"""

from prometheus_client import Counter, Gauge, Histogram

JOBS_CREATED = Counter("careerops_jobs_created_total", "Jobs accepted by createCoverLetter.")
JOBS_FINISHED = Counter(
    "careerops_jobs_finished_total", "Jobs that reached a terminal status.", ["status"]
)
JOB_DURATION = Histogram(
    "careerops_job_duration_seconds",
    "From an attempt's claim to its terminal status.",
    ["status"],
    buckets=(0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300),
)
TIME_TO_FIRST_TOKEN = Histogram(
    "careerops_time_to_first_token_seconds",
    "From an attempt's claim to the writer's first text.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20),
)
WRITER_RETRIES = Counter(
    "careerops_writer_retries_total", "Attempts rescheduled after a transient error.", ["cause"]
)
LLM_TOKENS = Counter("careerops_llm_tokens_total", "LLM tokens used.", ["kind"])
OPEN_WEBSOCKETS = Gauge("careerops_open_websockets", "Websockets open on this API process.")
ACTIVE_SUBSCRIPTIONS = Gauge(
    "careerops_active_subscriptions", "Subscriptions served by this API process."
)
EVENTS_RELAYED = Counter(
    "careerops_events_relayed_total", "Job events received from the broker and dispatched."
)
QUEUE_DEPTH = Gauge("careerops_queue_depth", "Messages waiting in a queue.", ["queue"])
DB_ERRORS = Counter("careerops_db_errors_total", "Database operations that failed to reach it.")
BROKER_ERRORS = Counter(
    "careerops_broker_errors_total", "Broker operations that failed.", ["operation"]
)
