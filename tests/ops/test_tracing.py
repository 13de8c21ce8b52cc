"""Tracing: with an OTLP endpoint, a job's spans reach the collector as one trace."""

import uuid
from collections import defaultdict

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core.settings import Settings
from tests.client import SAMPLE_INPUT, Api
from tests.conftest import serve
from tests.fakes.openai_server import Failure, FakeOpenAI
from tests.processes import api_process, environment, worker_process


class Collector:
    """An OTLP/HTTP traces endpoint: the span names it received, by service and trace,
    the spans themselves, and every byte that came."""

    def __init__(self) -> None:
        self.spans: dict[bytes, set[tuple[str, str]]] = defaultdict(set)
        self.received: list[Span] = []
        self.raw = b""
        self.app = Starlette(routes=[Route("/v1/traces", self.receive, methods=["POST"])])

    async def receive(self, request: Request) -> Response:
        body = await request.body()
        self.raw += body
        export = ExportTraceServiceRequest.FromString(body)
        for resource_spans in export.resource_spans:
            service = next(
                attribute.value.string_value
                for attribute in resource_spans.resource.attributes
                if attribute.key == "service.name"
            )
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    self.spans[span.trace_id].add((service, span.name))
                    self.received.append(span)
        return Response(ExportTraceServiceRequest().SerializeToString())

    def trace_with(self, span: tuple[str, str]) -> set[tuple[str, str]]:
        return next((spans for spans in self.spans.values() if span in spans), set())


@pytest.mark.parametrize("stack", ["production"], indirect=True)
async def test_a_jobs_request_queue_hop_and_work_form_one_trace(settings: Settings) -> None:
    # The tracing set-up was written and documented, but no process called it: the
    # setting did nothing and no span ever left a process.
    collector = Collector()
    async with serve(collector.app) as collector_url:
        env = environment(settings, CAREEROPS_OTLP_ENDPOINT=f"{collector_url}/v1/traces")
        async with api_process(env) as api_server, worker_process(env):
            api = Api(api_server.url)
            token = await api.register()
            job = await api.create_job(token)
            await api.wait_for_status(token, job["id"], "COMPLETED")
            await api.close()
        # Spans leave in batches every five seconds; a job done in one second is sent by
        # each process as it stops (the API's exit skipped the SDK's own flush).

    assert {
        ("careerops-api", "createCoverLetter"),
        ("careerops-worker", "job"),
        ("careerops-worker", "claim"),
        ("careerops-worker", "write"),
        ("careerops-worker", "complete"),
    } <= collector.trace_with(("careerops-api", "createCoverLetter"))


@pytest.mark.parametrize("stack", ["production"], indirect=True)
async def test_a_failed_attempts_span_names_its_error_but_never_quotes_it(
    settings: Settings,
) -> None:
    # A provider's refusal may quote the prompt. The job's error keeps it and the logs
    # leave it out, but the write span recorded the exception's message and traceback, so
    # the CV outlived the job's deletion in the trace collector.
    marker = f"MARKER-{uuid.uuid4().hex}"
    cv = f"{marker} {SAMPLE_INPUT['cvText']}"
    quoting = Failure(400, f"Bad request, your prompt: {cv}", type="invalid_request_error")
    collector = Collector()
    async with serve(collector.app) as collector_url, FakeOpenAI(quoting) as provider:
        env = environment(
            settings,
            CAREEROPS_OTLP_ENDPOINT=f"{collector_url}/v1/traces",
            CAREEROPS_WRITER="openai",
            OPENAI_BASE_URL=provider.url,
        )
        async with api_process(env) as api_server, worker_process(env):
            api = Api(api_server.url)
            token = await api.register()
            job = await api.create_job(token, cvText=cv)
            failed = await api.wait_for_status(token, job["id"], "FAILED")
            await api.close()

    assert marker in failed["error"]  # the owner is told what the provider said
    write = next(span for span in collector.received if span.name == "write")
    assert write.status.code == Status.STATUS_CODE_ERROR
    assert write.status.message == "worker.outcomes.PermanentError"
    assert [event.name for event in write.events] == []
    assert marker.encode() not in collector.raw
