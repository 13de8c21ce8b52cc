"""The hub: one broker listener per process, fanned out to local subscribers by key."""

import asyncio
import contextlib
import logging
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from broker.base import RESYNC, Broker, BrokerUnavailable, Resync
from core.events import EventType, JobEvent
from core.metrics import EVENTS_RELAYED
from core.outages import Outage

log = logging.getLogger(__name__)

Item = JobEvent | Resync


class Subscription:
    """A bounded inbox for one reader: on overflow the backlog collapses into one ``Resync``.

    Not an ``asyncio.Queue``: that is four deques and an event (about 3 KiB), and an API
    process holds one inbox per open subscription, thousands of them mostly idle. Here an
    idle inbox is two empty slots.
    """

    __slots__ = ("_items", "_maxsize", "_waiter", "express", "expressed", "overflows")

    def __init__(self, maxsize: int) -> None:
        self._maxsize = maxsize
        self._items: deque[Item] | None = None
        self._waiter: asyncio.Future[None] | None = None
        #: how often the backlog was dropped for a resync (the reader was too slow)
        self.overflows = 0
        #: the reader's short way (``schema.express``): takes an item that would come next
        #: while the reader waits, and says whether it did
        self.express: Callable[[Item], bool] | None = None
        #: how many items went the short way
        self.expressed = 0

    def put(self, item: Item) -> None:
        if self.express is not None and self._idle() and self._sent_now(item):
            self.expressed += 1
            return
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

    def _idle(self) -> bool:
        """Whether the reader waits in ``get`` with nothing queued: all before is handled."""
        waiter = self._waiter
        return waiter is not None and not waiter.done() and not self._items

    def _sent_now(self, item: Item) -> bool:
        assert self.express is not None
        try:
            return self.express(item)
        except Exception:
            # The long way still works; the short one is not tried again for this reader.
            log.exception("a subscriber's short way failed; its events take the long way")
            self.express = None
            return False

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
    """What this process knows of the jobs one key's subscribers follow (a job, or a user's
    unfinished jobs), to tell a quiet key from one whose events were lost."""

    subscribers: set[Subscription]
    #: monotonic time of the key's last event, or of its last check (``api.quiet_jobs``)
    heard: float
    #: job id -> the highest seq its subscribers were sent or read
    seqs: dict[str, int] = field(default_factory=dict)

    def saw(self, job_id: str, seq: int) -> None:
        if seq > self.seqs.get(job_id, -1):
            self.seqs[job_id] = seq

    def heard_of(self, event: JobEvent) -> None:
        self.heard = time.monotonic()
        if event.is_terminal_status:
            self.seqs.pop(event.job_id, None)  # nothing more of it to lose
        else:
            self.saw(event.job_id, event.seq)

    def resync(self) -> None:
        """Tell the subscribers to read their rows again: events were lost."""
        for subscription in self.subscribers:
            subscription.put(RESYNC)


class Hub:
    """Dispatches each event to the subscribers of its job and of its user, and nobody else."""

    def __init__(self, *, queue_size: int = 256) -> None:
        self.queue_size = queue_size
        #: told once, not once a second while the broker is away
        self._listener_outage = Outage(
            "event listener", meanwhile="resubscribing every second; subscribers re-read rows"
        )
        self._by_job: dict[str, set[Subscription]] = defaultdict(set)
        self._by_user: dict[str, set[Subscription]] = defaultdict(set)
        self._job_watches: dict[str, Watch] = {}
        self._user_watches: dict[str, Watch] = {}

    # One context manager each, not one wrapping another: an open subscription keeps its
    # generator frame for as long as it lasts.
    def subscribe_job(self, job_id: str) -> contextlib.AbstractAsyncContextManager[Subscription]:
        return self._subscribe(self._by_job, self._job_watches, job_id)

    def subscribe_user(self, user_id: str) -> contextlib.AbstractAsyncContextManager[Subscription]:
        return self._subscribe(self._by_user, self._user_watches, user_id)

    @contextlib.asynccontextmanager
    async def _subscribe(
        self, index: dict[str, set[Subscription]], watches: dict[str, Watch], key: str
    ) -> AsyncIterator[Subscription]:
        subscription = Subscription(self.queue_size)
        subscribers = index[key]
        subscribers.add(subscription)
        if key not in watches:
            watches[key] = Watch(subscribers, heard=time.monotonic())
        try:
            yield subscription
        finally:
            subscribers.discard(subscription)
            if not subscribers and index.get(key) is subscribers:
                del index[key]
                watches.pop(key, None)

    def read(self, job_id: str, seq: int) -> None:
        """A subscriber of the job read its row at ``seq`` (a snapshot)."""
        watch = self._job_watches.get(job_id)
        if watch is not None:
            watch.saw(job_id, seq)

    def quiet_watches(self, quiet_for: float) -> list[Watch]:
        """The watches without an event (or a check) for ``quiet_for`` seconds."""
        now = time.monotonic()
        return [
            watch
            for watches in (self._job_watches, self._user_watches)
            for watch in watches.values()
            if now - watch.heard >= quiet_for
        ]

    def dispatch(self, item: Item) -> None:
        if isinstance(item, Resync):
            for subscribers in (*self._by_job.values(), *self._by_user.values()):
                for subscription in subscribers:
                    subscription.put(RESYNC)
            return
        for subscription in self._by_job.get(item.job_id, ()):
            subscription.put(item)
        if item.type is EventType.STATUS:
            for subscription in self._by_user.get(item.user_id, ()):
                subscription.put(item)
        # Every event counts for both watches, DELTAs too: the row's seq moves with them,
        # and only a change that sent no event at all should look lost.
        for watch in (self._job_watches.get(item.job_id), self._user_watches.get(item.user_id)):
            if watch is not None:
                watch.heard_of(item)

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
            outage = self._listener_outage
            try:
                async for item in broker.events():
                    if outage.down_since is not None:
                        outage.recovered()
                    EVENTS_RELAYED.inc()
                    self.dispatch(item)
            except asyncio.CancelledError:
                raise
            except BrokerUnavailable as e:
                outage.failed(e)
            except Exception:
                log.exception("event listener failed; resubscribing")
            self.dispatch(RESYNC)
            await asyncio.sleep(1.0)
