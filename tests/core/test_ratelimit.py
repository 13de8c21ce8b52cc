"""The sliding window behind every in-memory limit: counts, waits, forgets, stays bounded;
and the pace a websocket's messages are read at."""

import pytest

from core.ratelimit import Pace, SlidingWindow


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_key_gets_limit_events_per_window_then_waits_for_the_oldest_to_leave() -> None:
    clock = Clock()
    window = SlidingWindow(3, 60, clock=clock)
    for _ in range(3):
        assert window.acquire("ada") == 0
        clock.now += 10
    assert window.acquire("ada") == 30  # the first event leaves at 1060; it is 1030 now
    assert window.acquire("bob") == 0
    clock.now += 30
    assert window.acquire("ada") == 0
    assert window.retry_after("ada") == 10


def test_hits_over_the_limit_keep_the_newest_and_reset_forgets() -> None:
    clock = Clock()
    window = SlidingWindow(2, 60, clock=clock)
    for _ in range(5):
        window.hit("ada")
        clock.now += 1
    assert window.retry_after("ada") == 58  # the two newest (1003, 1004) are kept
    window.reset("ada")
    assert window.retry_after("ada") == 0


def test_a_limit_of_zero_is_off_and_keys_are_bounded() -> None:
    assert all(SlidingWindow(0, 60).acquire("ada") == 0 for _ in range(100))
    window = SlidingWindow(1, 60, max_keys=3)
    for key in ("a", "b", "c", "d"):
        window.hit(key)
    assert window.retry_after("a") == 0  # the oldest key was dropped to stay bounded
    assert window.retry_after("d") > 0


def test_a_pace_lets_its_burst_through_then_spaces_events_at_its_rate() -> None:
    clock = Clock()
    pace = Pace(per_second=10, burst=3, clock=clock)
    assert [pace.wait() for _ in range(3)] == [0, 0, 0]
    assert pace.wait() == pytest.approx(0.1)
    clock.now += 0.1  # the event waited out its turn
    assert pace.wait() == pytest.approx(0.1)
    clock.now += 0.1
    clock.now += 0.25  # then a client keeping under the rate never waits
    assert pace.wait() == 0
    clock.now += 0.1
    assert pace.wait() == 0


def test_a_pace_saves_up_no_more_than_its_burst() -> None:
    clock = Clock()
    pace = Pace(per_second=10, burst=3, clock=clock)
    clock.now += 3600
    assert [pace.wait() for _ in range(3)] == [0, 0, 0]
    assert pace.wait() == pytest.approx(0.1)
