"""A dependency not reachable at start is tried again for a while, told once, then given up."""

import asyncio
import logging
import time

import aiormq
import asyncpg
import pytest

from broker.rabbitmq import is_unreachable as rabbitmq_unreachable
from core.reaching import Refused, Unreachable, reach
from db.connection import is_unavailable as postgres_unavailable


class Refusing:
    """A connect that is refused ``times`` times, then answers."""

    def __init__(self, times: int, error: Exception | None = None) -> None:
        self.times = times
        self.error = error or ConnectionRefusedError("refused")
        self.tries = 0

    async def __call__(self, timeout: float) -> str:
        self.tries += 1
        if self.tries <= self.times:
            raise self.error
        return "connected"


def told(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "core.reaching"]


def transient(error: BaseException) -> bool:
    return isinstance(error, OSError)


async def test_a_dependency_that_comes_up_is_reached_and_the_wait_told_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    connect = Refusing(times=5)

    got = await reach(
        "PostgreSQL at db:5432", connect, within=10, transient=transient, retry_every=0.01
    )

    assert got == "connected" and connect.tries == 6
    lines = told(caplog)
    assert lines[0] == (
        "PostgreSQL at db:5432 not reachable (ConnectionRefusedError: refused);"
        " trying again for up to 10 s"
    )
    assert len(lines) == 2 and lines[1].startswith("PostgreSQL at db:5432 reached after ")


async def test_a_dependency_reached_at_once_says_nothing(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    assert await reach("RabbitMQ", Refusing(times=0), within=10, transient=transient) == "connected"
    assert told(caplog) == []


async def test_a_dependency_still_down_when_the_wait_is_over_is_unreachable() -> None:
    connect = Refusing(times=1_000)

    with pytest.raises(Unreachable) as refused:
        await reach(
            "RabbitMQ at mq:5672/", connect, within=0.2, transient=transient, retry_every=0.05
        )

    assert str(refused.value).startswith("RabbitMQ at mq:5672/ not reachable after 0 s")
    assert "ConnectionRefusedError: refused" in str(refused.value)
    assert 3 <= connect.tries <= 6  # every 0.05 s for 0.2 s, not in a tight loop


async def test_no_wait_means_one_try() -> None:
    connect = Refusing(times=1)
    with pytest.raises(Unreachable):
        await reach("RabbitMQ", connect, within=0, transient=transient)
    assert connect.tries == 1


async def test_a_refusal_waiting_cannot_cure_ends_it_at_once_in_one_line() -> None:
    connect = Refusing(times=1, error=LookupError('database "nope" does not exist'))
    with pytest.raises(Refused) as refused:
        await reach("PostgreSQL", connect, within=10, transient=transient, refusals=(LookupError,))
    assert connect.tries == 1
    assert str(refused.value) == (
        'PostgreSQL refused the connection (LookupError: database "nope" does not exist)'
    )


async def test_an_error_that_is_no_refusal_is_raised_as_it_is() -> None:
    connect = Refusing(times=1, error=TypeError("a bug"))
    with pytest.raises(TypeError):
        await reach("PostgreSQL", connect, within=10, transient=transient)
    assert connect.tries == 1


@pytest.mark.parametrize(
    ("error", "waited_for"),
    [
        (aiormq.exceptions.AMQPConnectionError(111, "Connection refused"), True),
        (ConnectionRefusedError(111, "Connection refused"), True),
        (TimeoutError(), True),
        (aiormq.exceptions.ProbableAuthenticationError("ACCESS_REFUSED"), False),
    ],
)
def test_rabbitmq_is_waited_for_when_refused_but_not_when_the_login_is(
    error: BaseException, waited_for: bool
) -> None:
    assert rabbitmq_unreachable(error) is waited_for


@pytest.mark.parametrize(
    ("error", "waited_for"),
    [
        (ConnectionRefusedError(111, "Connection refused"), True),
        (asyncpg.CannotConnectNowError("the database system is starting up"), True),
        (asyncpg.InvalidPasswordError("password authentication failed"), False),
        (asyncpg.InvalidCatalogNameError('database "nope" does not exist'), False),
    ],
)
def test_postgres_is_waited_for_while_starting_but_not_for_a_wrong_password(
    error: BaseException, waited_for: bool
) -> None:
    assert postgres_unavailable(error) is waited_for


async def test_an_attempt_that_hangs_is_cut_short_and_counts_as_not_reachable() -> None:
    tries = 0

    async def hangs(timeout: float) -> str:
        nonlocal tries
        tries += 1
        # a server that took the connection and says nothing, under the library's timeout
        await asyncio.wait_for(asyncio.sleep(3600), timeout)
        return "never"

    started = time.monotonic()
    with pytest.raises(Unreachable) as refused:
        await reach("RabbitMQ", hangs, within=0.3, transient=transient, attempt_seconds=0.1)

    assert "TimeoutError" in str(refused.value)
    assert tries >= 2 and time.monotonic() - started < 2.5  # bounded by the wait, not the hang


async def test_one_try_tells_no_wait() -> None:
    # "not reachable after 0 s" with CAREEROPS_STARTUP_WAIT_SECONDS=0 told of a wait
    # that was never made.
    with pytest.raises(Unreachable) as refused:
        await reach("RabbitMQ at mq:5672/", Refusing(times=1), within=0, transient=transient)

    assert str(refused.value).startswith("RabbitMQ at mq:5672/ not reachable (")
