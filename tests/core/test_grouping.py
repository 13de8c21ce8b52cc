"""Calls that come while a group is served go together in the next, each with its own result."""

import asyncio

from core.grouping import Grouped


class Stopped(Exception):
    pass


class SlowServer:
    """Records each group; serving takes a while, as a round trip does."""

    def __init__(self) -> None:
        self.groups: list[list[int]] = []
        self.fail: Exception | None = None

    async def serve(self, items: list[int]) -> list[int | Exception]:
        await asyncio.sleep(0.01)
        if self.fail is not None:
            raise self.fail
        self.groups.append(items)
        return [ValueError(f"odd {i}") if i % 2 else i * 10 for i in items]


def grouped(server: SlowServer) -> Grouped[int, int]:
    return Grouped(server.serve, max_group=3, name="test-group", stopped=Stopped)


async def test_a_lone_call_is_served_at_once_and_those_behind_it_together() -> None:
    server = SlowServer()
    group = grouped(server)
    first = asyncio.create_task(group(0))
    await asyncio.sleep(0)  # the first is being served now
    rest = [group(i) for i in (2, 4, 6, 8)]

    results = await asyncio.gather(first, *rest)

    assert results == [0, 20, 40, 60, 80]
    assert server.groups == [[0], [2, 4, 6], [8]], "at most max_group in one, in order"


async def test_an_error_in_a_result_is_raised_to_its_caller_alone() -> None:
    server = SlowServer()
    group = grouped(server)

    results = await asyncio.gather(*(group(i) for i in (2, 3, 4)), return_exceptions=True)

    assert results[0] == 20 and results[2] == 40
    assert isinstance(results[1], ValueError) and str(results[1]) == "odd 3"


async def test_a_failed_serve_fails_every_call_in_its_group() -> None:
    server = SlowServer()
    server.fail = ConnectionError("gone")
    group = grouped(server)

    results = await asyncio.gather(*(group(i) for i in (2, 4, 6)), return_exceptions=True)

    assert all(isinstance(r, ConnectionError) for r in results)


async def test_nobody_waits_forever_on_a_server_that_was_stopped() -> None:
    group = grouped(SlowServer())
    waiting = [asyncio.create_task(group(i)) for i in (2, 4)]
    await asyncio.sleep(0)
    assert group._server is not None
    group._server.cancel()

    results = await asyncio.gather(*waiting, return_exceptions=True)

    assert all(isinstance(r, Stopped) for r in results)


async def test_a_call_made_just_as_the_server_finishes_is_still_served() -> None:
    server = SlowServer()
    group = grouped(server)
    assert await group(2) == 20
    # The server task has returned, but its done callbacks have not run yet.
    assert await group(4) == 40
    assert list(await asyncio.gather(group(6), group(8))) == [60, 80]

    assert [i for g in server.groups for i in g] == [2, 4, 6, 8]
