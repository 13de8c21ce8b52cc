"""A request, once answered, is freed at once: nothing of it waits for the cyclic collector.

graphql-core's executor held its own bound methods, so every request's executor, context,
Starlette request and user were a reference cycle: 53 objects a request that only a
collection freed, and under load the API stopped for 20-50 ms every few seconds to do it.
"""

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from graphql.execution import Executor
from starlette.requests import Request

from resolvers.context import Context
from tests.client import Api
from tests.conftest import StartApi

#: what a served request is made of; none of it may be left in a cycle
SERVED = (Executor, Context, Request)


@contextmanager
def cyclic_garbage() -> Iterator[list[object]]:
    """What the cyclic collector finds unreachable among what the block made."""
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    found: list[object] = []
    try:
        yield found
        gc.collect()
        found.extend(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


async def _serve_a_few(api: Api, token: str, job_id: str) -> None:
    await api.job(token, job_id)
    await api.create_job(token)
    await api.error("{ job(id: 1) { nope } }", token=token)  # an invalid one too


async def test_answered_requests_leave_nothing_in_reference_cycles(start_api: StartApi) -> None:
    api = await start_api()
    token = await api.register()
    job = await api.create_job(token)
    await _serve_a_few(api, token, job["id"])  # caches warm

    with cyclic_garbage() as garbage:
        await _serve_a_few(api, token, job["id"])

    assert [type(thing).__name__ for thing in garbage if isinstance(thing, SERVED)] == []
