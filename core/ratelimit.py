"""A sliding-window counter: at most ``limit`` events per key in any ``window`` seconds.

The state lives in this process's memory. A deployment with N API processes
behind a load balancer therefore allows up to N times each limit, and a
restart forgets every count. That is the trade for needing no shared store;
the limits that must hold across processes (active jobs per user) are counted
in the database instead.
"""

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable

Clock = Callable[[], float]


class SlidingWindow:
    """Counts per key; a ``limit`` of 0 or less turns the limit off."""

    def __init__(
        self,
        limit: int,
        window_seconds: float,
        *,
        clock: Clock = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self.limit = limit
        self.window = window_seconds
        self._clock = clock
        # Bounded, so a client inventing keys (emails) cannot grow it without end.
        self._max_keys = max_keys
        self._events: OrderedDict[str, deque[float]] = OrderedDict()

    def retry_after(self, key: str) -> int:
        """0 when one more event is allowed now, else whole seconds until it is."""
        events = self._live(key)
        if self.limit <= 0 or len(events) < self.limit:
            return 0
        return max(1, math.ceil(events[0] + self.window - self._clock()))

    def count(self, key: str) -> int:
        """Events of ``key`` within the window now."""
        return len(self._live(key))

    def give_back(self, key: str) -> None:
        """Uncount the latest event (taken for something that then did not happen)."""
        events = self._events.get(key)
        if events:
            events.pop()
            if not events:
                del self._events[key]

    def hit(self, key: str) -> None:
        """Count one event (even over the limit: failures keep counting)."""
        if self.limit <= 0:
            return
        events = self._live(key)
        events.append(self._clock())
        while len(events) > self.limit:
            events.popleft()
        self._events[key] = events
        self._events.move_to_end(key)
        while len(self._events) > self._max_keys:
            self._events.popitem(last=False)

    def acquire(self, key: str) -> int:
        """Count one event if allowed and return 0, else the seconds to wait (nothing counted)."""
        wait = self.retry_after(key)
        if wait == 0:
            self.hit(key)
        return wait

    def reset(self, key: str) -> None:
        self._events.pop(key, None)

    def _live(self, key: str) -> deque[float]:
        events = self._events.get(key)
        if events is None:
            return deque()
        cutoff = self._clock() - self.window
        while events and events[0] <= cutoff:
            events.popleft()
        if not events:
            del self._events[key]
        return events


class Pace:
    """At most ``per_second`` events a second on average, and ``burst`` at once (a token
    bucket): ``wait()`` says how long the next event must wait to keep to it."""

    __slots__ = ("_burst", "_clock", "_per_second", "_since", "_tokens")

    def __init__(self, per_second: float, burst: float, *, clock: Clock = time.monotonic) -> None:
        self._per_second = per_second
        self._burst = burst
        self._clock = clock
        self._tokens = burst
        self._since = clock()

    def wait(self) -> float:
        """Seconds before the next event may go, counting it as gone then (0: at once)."""
        now = self._clock()
        tokens = min(self._burst, self._tokens + (now - self._since) * self._per_second) - 1
        self._tokens = tokens
        self._since = now
        # A token owed is paid back by the wait: one event's worth at most, since each
        # event waits out its own debt before the next is read.
        return 0.0 if tokens >= 0 else -tokens / self._per_second
