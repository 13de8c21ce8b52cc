"""The hub: one broker listener per process, fanned out to local subscribers by key."""

import asyncio
import contextlib
import logging
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator
from dataclasses import dataclass

from broker.base import RESYNC, Broker, Resync
from core.events import EventType, JobEvent
from core.metrics import EVENTS_RELAYED

log = logging.getLogger(__name__)

Item = JobEvent | Resync


class Subscription:
    """A bounded inbox for one reader: on overflow the backlog collapses into one ``Resync``.

    Not an ``asyncio.Queue``: that is four deques and an event (about 3 KiB), and an API
    process holds one inbox per open subscription, thousands of them mostly idle. Here an
    idle inbox is two empty slots.
    """

    __slots__ = ("_items", "_maxsize", "_waiter", "overflows")

    def __init__(self, maxsize: int) -> None:
        self._maxsize = maxsize
        self._items: deque[Item] | None = None
        self._waiter: asyncio.Future[None] | None = None
        #: how often the backlog was dropped for a resync (the reader was too slow)
        self.overflows = 0

    def put(self, item: Item) -> None:
        if self._items is None:
            self._items = deque()
        if len(self._items) >= self._maxsize:
            # A slow reader falls behind but never loses text: it re-reads the row.
            self._items.clear()
            item = RESYNC
            self.overflows += 1
        self._items.append(item)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    @property
    def backlog(self) -> int:
        return len(self._items) if self._items is not None else 0

    async def get(self) -> Item:
        # The item stays queued until taken here, so a reader cancelled while woken loses
        # nothing.
        while not self._items:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        item = self._items.popleft()
        if not self._items:
            self._items = None
        return item

    def __aiter__(self) -> AsyncIterator[Item]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Item]:
        while True:
            yield await self.get()


@dataclass(slots=True)
class Watch:
    """What this process knows of a job it has subscribers for."""

    #: monotonic time of its last event, or of its last check (``api.quiet_jobs``)
    heard: float
    #: the highest seq its subscribers were sent or read (None until the first snapshot)
    seq: int | None = None

    def saw(self, seq: int) -> None:
        if self.seq is None or seq > self.seq:
            self.seq = seq


class Hub:
    """Dispatches each event to the subscribers of its job and of its user, and nobody else."""

    def __init__(self, *, queue_size: int = 256) -> None:
        self.queue_size = queue_size
        self._by_job: dict[str, set[Subscription]] = defaultdict(set)
        self._by_user: dict[str, set[Subscription]] = defaultdict(set)
        self._watches: dict[str, Watch] = {}

    # One context manager each, not one wrapping another: an open subscription keeps its
    # generator frame for as long as it lasts.
    def subscribe_job(self, job_id: str) -> contextlib.AbstractAsyncContextManager[Subscription]:
        return self._subscribe(self._by_job, job_id)

    def subscribe_user(self, user_id: str) -> contextlib.AbstractAsyncContextManager[Subscription]:
        return self._subscribe(self._by_user, user_id)

    @contextlib.asynccontextmanager
    async def _subscribe(
        self, index: dict[str, set[Subscription]], key: str
    ) -> AsyncIterator[Subscription]:
        subscription = Subscription(self.queue_size)
        index[key].add(subscription)
        if index is self._by_job and key not in self._watches:
            self._watches[key] = Watch(heard=time.monotonic())
        try:
            yield subscription
        finally:
            subscribers = index.get(key)
            if subscribers is not None:
                subscribers.discard(subscription)
                if not subscribers:
                    del index[key]
                    if index is self._by_job:
                        self._watches.pop(key, None)

    def read(self, job_id: str, seq: int) -> None:
        """A subscriber of the job read its row at ``seq`` (a snapshot)."""
        watch = self._watches.get(job_id)
        if watch is not None:
            watch.saw(seq)

    def quiet_jobs(self, quiet_for: float) -> dict[str, Watch]:
        """The watched jobs without an event (or a check) for ``quiet_for`` seconds."""
        now = time.monotonic()
        return {
            job: watch for job, watch in self._watches.items() if now - watch.heard >= quiet_for
        }

    def resync_job(self, job_id: str) -> None:
        """Tell the job's subscribers to read its row again: events of it were lost."""
        for subscription in self._by_job.get(job_id, ()):
            subscription.put(RESYNC)

    def dispatch(self, item: Item) -> None:
        if isinstance(item, Resync):
            for subscribers in (*self._by_job.values(), *self._by_user.values()):
                for subscription in subscribers:
                    subscription.put(RESYNC)
            return
        for subscription in self._by_job.get(item.job_id, ()):
            subscription.put(item)
        watch = self._watches.get(item.job_id)
        if watch is not None:
            watch.heard = time.monotonic()
            watch.saw(item.seq)
        if item.type is EventType.STATUS:
            for subscription in self._by_user.get(item.user_id, ()):
                subscription.put(item)

    def subscriptions_of_job(self, job_id: str) -> frozenset[Subscription]:
        return frozenset(self._by_job.get(job_id, ()))

    def subscriptions_of_user(self, user_id: str) -> frozenset[Subscription]:
        return frozenset(self._by_user.get(user_id, ()))

    @property
    def subscriber_count(self) -> int:
        return sum(map(len, self._by_job.values())) + sum(map(len, self._by_user.values()))

    async def run(self, broker: Broker) -> None:
        """Relay the broker's events until cancelled; restarts the listener if it fails."""
        while True:
            try:
                async for item in broker.events():
                    EVENTS_RELAYED.inc()
                    self.dispatch(item)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("event listener failed; resubscribing")
                self.dispatch(RESYNC)
                await asyncio.sleep(1.0)
