"""OpenTelemetry: off unless an OTLP endpoint is configured.

The trace context of the request that created a job travels in the job
message's headers, so the worker's spans join the same trace.
"""

import contextlib
from collections.abc import Iterator, Mapping

from opentelemetry import propagate, trace
from opentelemetry.context import Context

from core.settings import Settings

tracer = trace.get_tracer("careerops")


@contextlib.contextmanager
def tracing(settings: Settings, service: str) -> Iterator[None]:
    """Export spans over OTLP/HTTP while the block runs, when ``CAREEROPS_OTLP_ENDPOINT``
    is set, and send the ones still batched as it ends: uvicorn ends the API by raising
    SIGTERM again, so the SDK's own flush at exit never ran there."""
    if not settings.otlp_endpoint:
        yield
        return
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(
        resource=Resource.create({"service.name": service}), shutdown_on_exit=False
    )
    provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.otlp_endpoint))
    )
    trace.set_tracer_provider(provider)
    try:
        yield
    finally:
        provider.shutdown()


def inject(headers: dict[str, str]) -> dict[str, str]:
    """Add the current trace context (``traceparent``) to message headers."""
    propagate.inject(headers)
    return headers


def extract(headers: Mapping[str, str]) -> Context:
    return propagate.extract(dict(headers))
