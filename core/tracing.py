"""OpenTelemetry: off unless an OTLP endpoint is configured.

The trace context of the request that created a job travels in the job
message's headers, so the worker's spans join the same trace.
"""

from collections.abc import Mapping

from opentelemetry import propagate, trace
from opentelemetry.context import Context

from core.settings import Settings

tracer = trace.get_tracer("careerops")


def configure_tracing(settings: Settings, service: str) -> None:
    """Export spans over OTLP/HTTP when ``CAREEROPS_OTLP_ENDPOINT`` is set."""
    if not settings.otlp_endpoint:
        return
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.otlp_endpoint))
    )
    trace.set_tracer_provider(provider)


def inject(headers: dict[str, str]) -> dict[str, str]:
    """Add the current trace context (``traceparent``) to message headers."""
    propagate.inject(headers)
    return headers


def extract(headers: Mapping[str, str]) -> Context:
    return propagate.extract(dict(headers))
