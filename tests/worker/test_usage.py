"""Usage on the job: what each writer can report, plus the handler's own timings."""

import asyncio
from collections.abc import AsyncIterator

from tests.client import Api, Json
from tests.conftest import StartApi, StartWorker
from worker.writers.base import LetterRequest
from worker.writers.offline import TEMPLATE_VERSION

USAGE = (
    "query($id: ID!) { job(id: $id) { coverLetter usage {"
    " model promptTokens completionTokens timeToFirstTokenMs durationMs promptVersion } } }"
)


async def job_with_usage(api: Api, token: str, job_id: str) -> Json:
    data = await api.data(USAGE, {"id": job_id}, token)
    job: Json = data["job"]
    return job


async def test_the_offline_writer_reports_its_model_template_and_words(
    start_api: StartApi, start_worker: StartWorker
) -> None:
    api = await start_api()
    token = await api.register()
    job = await api.create_job(token)
    assert (await job_with_usage(api, token, job["id"]))["usage"] is None

    await start_worker()
    await api.wait_for_status(token, job["id"], "COMPLETED")

    done = await job_with_usage(api, token, job["id"])
    usage = done["usage"]
    assert usage["model"] == "offline" and usage["promptVersion"] == TEMPLATE_VERSION
    assert usage["promptTokens"] is None
    assert usage["completionTokens"] == len(done["coverLetter"].split())
    assert 0 <= usage["timeToFirstTokenMs"] <= usage["durationMs"]


class SlowWriter:
    """Reports nothing about itself; starts after 0.3 s and takes 0.3 s more."""

    async def write(self, request: LetterRequest) -> AsyncIterator[str]:
        await asyncio.sleep(0.3)
        yield "Dear team, "
        await asyncio.sleep(0.3)
        yield "thank you."

    async def close(self) -> None:
        pass


async def test_a_writer_that_reports_nothing_still_gets_its_timings_measured(
    start_api: StartApi, start_worker: StartWorker
) -> None:
    api = await start_api()
    await start_worker(SlowWriter())
    token = await api.register()
    job = await api.create_job(token)

    await api.wait_for_status(token, job["id"], "COMPLETED")

    usage = (await job_with_usage(api, token, job["id"]))["usage"]
    assert usage["model"] is None and usage["promptVersion"] is None
    assert usage["promptTokens"] is None and usage["completionTokens"] is None
    assert 300 <= usage["timeToFirstTokenMs"] < 1000
    assert usage["timeToFirstTokenMs"] + 300 <= usage["durationMs"] < 2000
