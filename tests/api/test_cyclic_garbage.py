"""A request, once answered, and a subscription, once stopped, are freed at once: nothing
of them waits for the cyclic collector.

graphql-core's executor held its own bound methods, so every request's executor, context,
Starlette request and user were a reference cycle: 53 objects a request that only a
collection freed, and under load the API stopped for 20-50 ms every few seconds to do it.
"""

import asyncio
import gc
from collections.abc import Iterator
from contextlib import contextmanager

from graphql.execution import Executor
from starlette.requests import Request
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import Operation

from resolvers.context import Context
from schema.express import ExpressLane
from tests.client import JOB_EVENTS, Api
from tests.conftest import StartApi
from tests.waiting import until

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


async def _follow_and_stop(api: Api, token: str, job_id: str) -> None:
    async with api.socket(token) as socket:
        await socket.ack()
        operation = await socket.subscribe(JOB_EVENTS, {"id": job_id})
        assert await socket.next_payload(operation) is not None  # its SNAPSHOT
        await socket.stop(operation)
        await socket.sent_before_pong()
    await until(lambda: not api.hub.subscriptions_of_job(job_id))


async def test_a_finished_subscription_leaves_nothing_in_reference_cycles(
    start_api: StartApi,
) -> None:
    api = await start_api()
    token, job = await api.user_with_job()
    await _follow_and_stop(api, token, job["id"])  # caches warm

    with cyclic_garbage() as garbage:
        await _follow_and_stop(api, token, job["id"])
        await asyncio.sleep(0.1)  # the operation's task ends after its stream closed

    kept = (*SERVED, ExpressLane, Operation)
    assert [type(thing).__name__ for thing in garbage if isinstance(thing, kept)] == []
