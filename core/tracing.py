"""OpenTelemetry: off unless an OTLP endpoint is configured.

The trace context of the request that created a job travels in the job
message's headers, so the worker's spans join the same trace.
"""

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, Status, StatusCode

from core.settings import Settings

tracer = trace.get_tracer("careerops")


@contextlib.contextmanager
def span(name: str, **options: Any) -> Iterator[Span]:
    """A span around the block that names the type of an error leaving it, never its
    message. OpenTelemetry's own recording exported the message and traceback, and a
    provider's refusal may quote the prompt, a CV: the logs keep such messages out, and a
    trace collector keeps them past the job's and the account's deletion."""
    with tracer.start_as_current_span(
        name, record_exception=False, set_status_on_exception=False, **options
    ) as current:
        try:
            yield current
        except BaseException as error:
            kind = f"{type(error).__module__}.{type(error).__qualname__}"
            current.set_attribute("error.type", kind)
            current.set_status(Status(StatusCode.ERROR, kind))
            raise


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
