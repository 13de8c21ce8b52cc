"""A subscriber whose connection is lost as an event goes out to it is dropped, quietly."""

import logging
from typing import Any

import pytest

from broker.fanout import Hub
from tests.broker.test_fanout import event
from tests.client import JOB_EVENTS, PROTOCOLS, Api, Socket
from tests.conftest import StartApi
from tests.waiting import until


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_connection_lost_as_an_event_goes_out_drops_only_its_subscriber(
    start_api: StartApi, caplog: pytest.LogCaptureFixture, protocol: str
) -> None:
    api = await start_api()
    hub: Hub = api.app.state.hub
    token = await api.register()
    job = await api.create_job(token)
    user_id = (await api.data("{ me { id } }", token=token))["me"]["id"]
    async with api.socket(token, protocol) as lost, api.socket(token, protocol) as staying:
        await lost.ack()
        await staying.ack()
        operations = [await s.subscribe(JOB_EVENTS, {"id": job["id"]}) for s in (lost, staying)]
        for socket, operation in zip((lost, staying), operations, strict=True):
            assert (await socket.next_payload(operation)) is not None  # its SNAPSHOT at seq 0
        server_side = _server_protocol_of(api, lost)
        # The network drops the connection in the very tick an event is dispatched: the
        # server learns of the loss before its subscription task sends, but its reader
        # has not yet seen it, so the send itself finds the connection gone.
        server_side.transport.abort()
        hub.dispatch(event(job["id"], seq=1, user_id=user_id))

        received = await staying.next_payload(operations[1])
        assert received is not None and received["data"]["jobEvents"]["seq"] == 1
        await until(lambda: len(hub.subscriptions_of_job(job["id"])) == 1)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


def _server_protocol_of(api: Api, socket: Socket) -> Any:
    """uvicorn's protocol object of a client's connection: the server's websocket registry
    keeps each connection's ``send``, a method of it."""
    (protocol,) = [
        send.__self__
        for send in api.app.state.websockets._open.values()
        if send.__self__.transport.get_extra_info("peername") == socket.connection.local_address
    ]
    return protocol
