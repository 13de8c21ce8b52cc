"""The short way of a subscription's event to its socket: straight from the hub's dispatch.

With 5,000 sockets following one job, every event woke 5,000 tasks, and each took the
event through its stream's generators, strawberry's executor, stream and transport, to
send a frame that differs from the others only by the operation's id: 53 µs a delivery,
where a bare websocket server spends 22 (bench B3). Yet an idle subscriber (its stream
waits for the next event and nothing is queued before it) has nothing to decide about
an event that comes next in ``seq``: its result is the one the shared executor already
has (``schema.sharing``), and its frame that result's JSON with the operation's id.

So a websocket operation runs with an ``ExpressLane`` in its context: the transport
(``api.protocols``) says how to write a frame now, the operation's executor registers
itself when graphql-core makes it, and a stream that knows an event comes next offers
it to the lane from within the dispatch. A lane declines, and the event takes the long
way through the operation's task, whenever it cannot do all the long way would: no
executor yet, a result graphql-core must build, a result with errors or extensions
(masking and extensions live on the long way), an operation completed or cancelled, a
socket that is closing or still sending an earlier frame.
"""

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, Protocol


class ReadyResults(Protocol):
    """An executor that can tell an event's result without running graphql-core."""

    def ready_json(self, root: object) -> str | None:
        """The JSON of the result's ``data``, if it is ready, shared and error-free."""


class ExpressLane:
    """One websocket operation's short way for the events its stream says come next.

    The transport's subclass writes the frames (``write``); the resolver says how its
    stream's items become the subscription's root values (``to_root``).
    """

    __slots__ = ("executor", "to_root")

    def __init__(self) -> None:
        #: the operation's executor, once graphql-core has made it
        self.executor: ReadyResults | None = None
        self.to_root: Callable[[Any], object] = _same

    def offer(self, item: object) -> bool:
        """Send the result of ``item`` now, if it can go the short way; False if not sent."""
        executor = self.executor
        if executor is None:
            return False
        encoded = executor.ready_json(self.to_root(item))
        return encoded is not None and self.write(encoded)

    def write(self, data_json: str) -> bool:
        """Send a result's ``data`` JSON as the operation's next frame; False if not now."""
        raise NotImplementedError


def _same(item: object) -> object:
    return item


#: the lane of the websocket operation being run, if its transport offers one
CURRENT_LANE: ContextVar[ExpressLane | None] = ContextVar("careerops_express_lane", default=None)
