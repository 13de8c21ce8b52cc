"""An outage is told once when lost, every interval while down, and once when back."""

import logging

import pytest

from broker.rabbitmq.outages import ConnectionOutages
from core.logs import bound, install_record_context
from core.outages import Outage


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def told(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "core.outages"]


def test_an_outage_is_told_when_lost_every_interval_while_down_and_when_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    clock = Clock()
    outage = Outage("database connection", meanwhile="jobs wait", remind_every=30, clock=clock)

    outage.failed(ConnectionResetError("reset by peer"))
    for _ in range(25):  # failed attempts, one a second
        clock.now += 1
        outage.failed(ConnectionRefusedError("refused"))
    assert told(caplog) == [
        "database connection lost (ConnectionResetError: reset by peer); jobs wait"
    ]

    clock.now += 5
    outage.failed(ConnectionRefusedError("refused"))
    clock.now += 2.5
    outage.recovered()
    assert told(caplog)[1:] == [
        "database connection still down after 30 s (ConnectionRefusedError: refused)",
        "database connection back after 32.5 s",
    ]

    caplog.clear()
    outage.recovered()  # an attempt that worked with no outage told: nothing to say
    outage.failed(ConnectionResetError("again"))
    assert told(caplog) == ["database connection lost (ConnectionResetError: again); jobs wait"]


def test_a_connection_the_service_closes_is_no_outage(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    outages = ConnectionOutages("careerops-publish")
    outages.closed(None, ConnectionResetError("reset"))
    outages.restored(None)
    assert [message.split(" (")[0].split(" after")[0] for message in told(caplog)] == [
        "RabbitMQ connection careerops-publish lost",
        "RabbitMQ connection careerops-publish back",
    ]

    caplog.clear()
    outages.closing()
    outages.closed(None, None)
    assert told(caplog) == []


def test_an_outage_is_told_as_the_process_s_not_as_the_job_s_that_noticed_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    install_record_context()
    caplog.set_level(logging.INFO)
    outage = Outage("database connection", meanwhile="jobs wait")

    with bound(job_id="a-job", attempt=1):
        outage.failed(ConnectionResetError("reset by peer"))
        outage.recovered()

    records = [r for r in caplog.records if r.name == "core.outages"]
    assert len(records) == 2
    assert all(getattr(r, "job_id", None) is None for r in records)
    assert all(getattr(r, "attempt", None) is None for r in records)
