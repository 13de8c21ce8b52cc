"""One trace from the mutation to the worker's completion, across the queue."""

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.client import Api

_exporter = InMemorySpanExporter()


@pytest.fixture(scope="module")
def spans() -> InMemorySpanExporter:
    """The SDK's in-memory exporter behind the process's tracer provider (set once)."""
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(_exporter))
        trace.set_tracer_provider(provider)
    return _exporter


async def test_one_trace_runs_from_the_mutation_through_the_queue_to_completion(
    api: Api, spans: InMemorySpanExporter
) -> None:
    token = await api.register()
    spans.clear()

    job = await api.create_job(token)
    await api.wait_for_status(token, job["id"], "COMPLETED")

    finished = spans.get_finished_spans()
    (mutation,) = [s for s in finished if s.name == "createCoverLetter"]
    assert mutation.attributes is not None and mutation.attributes["careerops.job_id"] == job["id"]
    trace_id = mutation.context.trace_id
    worker = [
        s for s in finished if s.context.trace_id == trace_id and s.name != "createCoverLetter"
    ]
    names = {s.name for s in worker}
    assert {"job", "claim", "write", "complete"} <= names
    (job_span,) = [s for s in worker if s.name == "job"]
    assert job_span.parent is not None and job_span.parent.span_id == mutation.context.span_id
