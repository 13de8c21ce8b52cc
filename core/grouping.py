"""Calls that come while one group is being served go together in the next group.

Group commit without a timer: a lone call is served at once, as it would be alone, and
only calls that would have queued behind it share the next round trip. The worker's text
flushes share statements this way, and every process's events share messages.
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")
_Waiting = tuple[Item, "asyncio.Future[Result]"]


class Grouped(Generic[Item, Result]):
    """``await grouped(item)`` returns ``item``'s result from ``serve(group)``.

    ``serve`` gets the items in the order they came and returns one result for each, in
    that order; a result that is an exception is raised to its caller alone, and what
    ``serve`` itself raises, every caller of that group gets. ``stopped`` makes the
    error that callers get when the serving task is cancelled (its process is closing).
    """

    def __init__(
        self,
        serve: Callable[[list[Item]], Awaitable[Sequence[Result | Exception]]],
        *,
        max_group: int,
        name: str,
        stopped: Callable[[], Exception],
    ) -> None:
        self._serve = serve
        self._max_group = max_group
        self._name = name
        self._stopped_error = stopped
        self._waiting: list[_Waiting[Item, Result]] = []
        self._serving: list[_Waiting[Item, Result]] = []
        self._server: asyncio.Task[None] | None = None

    async def __call__(self, item: Item) -> Result:
        done: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, done))
        if self._server is None:
            self._server = asyncio.create_task(self._serve_all(), name=self._name)
            self._server.add_done_callback(self._stopped)
        return await done

    async def _serve_all(self) -> None:
        while self._waiting:
            group = self._waiting[: self._max_group]
            self._serving, self._waiting = group, self._waiting[self._max_group :]
            try:
                results = await self._serve([item for item, _ in group])
            except Exception as e:
                for _, done in group:
                    if not done.done():
                        done.set_exception(e)
            else:
                for (_, done), result in zip(group, results, strict=True):
                    if done.done():
                        continue
                    if isinstance(result, Exception):
                        done.set_exception(result)
                    else:
                        done.set_result(result)
            self._serving = []
        # In the same step as the last look at the queue: a call from now on starts a new
        # server (a done callback would run too late for that).
        self._server = None

    def _stopped(self, server: "asyncio.Task[None]") -> None:
        if not server.cancelled():
            return
        # Cancelled (the process is closing), even before it started: nobody may wait for a
        # result that will not come.
        if self._server is server:
            self._server = None
        left, self._serving, self._waiting = self._serving + self._waiting, [], []
        for _, done in left:
            if not done.done():
                done.set_exception(self._stopped_error())
