"""A lost RabbitMQ connection says so once, then every so often, then once when back."""

import logging

import pytest

from broker.rabbitmq.outages import ConnectionOutages


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "broker.rabbitmq.outages"]


def test_an_outage_is_told_when_lost_every_interval_while_down_and_when_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    clock = Clock()
    outages = ConnectionOutages("careerops-consume", remind_every=30, clock=clock)

    outages.closed(None, ConnectionResetError("reset by peer"))
    for _ in range(25):  # failed attempts, one a second
        clock.now += 1
        outages.closed(None, ConnectionRefusedError("refused"))
    assert messages(caplog) == [
        "RabbitMQ connection careerops-consume lost (ConnectionResetError: reset by peer); "
        "reconnecting"
    ]

    clock.now += 5
    outages.closed(None, ConnectionRefusedError("refused"))
    clock.now += 2.5
    outages.restored(None)
    assert messages(caplog)[1:] == [
        "RabbitMQ connection careerops-consume still down after 30 s "
        "(ConnectionRefusedError: refused)",
        "RabbitMQ connection careerops-consume back after 32.5 s",
    ]

    caplog.clear()
    outages.restored(None)  # a reconnect with no outage told: nothing to say
    outages.closed(None, ConnectionResetError("again"))
    assert messages(caplog) == [
        "RabbitMQ connection careerops-consume lost (ConnectionResetError: again); reconnecting"
    ]


def test_a_connection_the_service_closes_is_no_outage(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    outages = ConnectionOutages("careerops-publish")
    outages.closing()
    outages.closed(None, None)
    assert messages(caplog) == []
