"""Closed- and open-loop drivers shared by every pipeline client (service, raw, Celery)."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

#: one job: returns the monotonic times its first event and its terminal event arrived
OneJob = Callable[[], Awaitable[tuple[float, float]]]


async def closed_loop(one: OneJob, slots: int, seconds: float) -> dict[str, Any]:
    """``slots`` clients, each starting its next job when the last one finished."""
    start = time.monotonic()
    deadline = start + seconds
    in_window = 0
    total = 0
    done_ms: list[float] = []

    async def client() -> None:
        nonlocal in_window, total
        while time.monotonic() < deadline:
            sent = time.monotonic()
            _, done = await one()
            total += 1
            if done <= deadline:
                in_window += 1
                done_ms.append((done - sent) * 1000)

    await asyncio.wait_for(asyncio.gather(*(client() for _ in range(slots))), seconds + 60)
    return {"completed": in_window, "total": total, "done_ms": done_ms}


def open_loop_args(rate: float, seconds: float, agents: int) -> list[dict[str, Any]]:
    """Each agent's share of an open loop at ``rate`` jobs/s in all, their schedules
    interleaved: jobs arrive evenly spaced, not in bursts of one per agent (the agents
    would otherwise each start when the command reached them, within a millisecond or
    two of each other, and every second job would queue behind its twin)."""
    # CLOCK_MONOTONIC is the machine's: every agent reads the same clock.
    start = time.monotonic() + 0.1
    return [
        {"rate": rate / agents, "seconds": seconds, "start_at": start + index / rate}
        for index in range(agents)
    ]


async def open_loop(
    one: OneJob, rate: float, seconds: float, start_at: float | None = None
) -> dict[str, Any]:
    """Jobs sent on a fixed schedule, ``rate`` per second from ``start_at`` (or at once);
    latency counts from the schedule."""
    start = time.monotonic() + 0.05 if start_at is None else start_at
    count = max(1, round(rate * seconds))
    first_ms: list[float] = []
    done_ms: list[float] = []

    async def job(scheduled: float) -> None:
        first, done = await one()
        first_ms.append((first - scheduled) * 1000)
        done_ms.append((done - scheduled) * 1000)

    tasks = []
    for index in range(count):
        scheduled = start + index / rate
        delay = scheduled - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(job(scheduled)))
    await asyncio.wait_for(asyncio.gather(*tasks), 60)
    return {"completed": count, "first_ms": first_ms, "done_ms": done_ms}


async def run_loop(one: OneJob, command: str, arg: dict[str, Any]) -> dict[str, Any]:
    if command == "closed":
        return await closed_loop(one, arg["slots"], arg["seconds"])
    if command == "open":
        return await open_loop(one, arg["rate"], arg["seconds"], arg.get("start_at"))
    raise ValueError(f"unknown command {command!r}")
