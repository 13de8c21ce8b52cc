"""Tracing: with an OTLP endpoint, a job's spans reach the collector as one trace."""

from collections import defaultdict

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core.settings import Settings
from tests.client import Api
from tests.conftest import serve
from tests.processes import api_process, environment, worker_process


class Collector:
    """An OTLP/HTTP traces endpoint: the span names it received, by service and trace."""

    def __init__(self) -> None:
        self.spans: dict[bytes, set[tuple[str, str]]] = defaultdict(set)
        self.app = Starlette(routes=[Route("/v1/traces", self.receive, methods=["POST"])])

    async def receive(self, request: Request) -> Response:
        export = ExportTraceServiceRequest.FromString(await request.body())
        for resource_spans in export.resource_spans:
            service = next(
                attribute.value.string_value
                for attribute in resource_spans.resource.attributes
                if attribute.key == "service.name"
            )
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    self.spans[span.trace_id].add((service, span.name))
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
