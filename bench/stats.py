"""Medians and percentiles, and the A/B alternation every comparison runs through."""

import statistics
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks; ``q`` in 0..100. NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


@dataclass
class Rounds:
    """One number per round for a side (service or baseline) of a comparison."""

    values: list[float] = field(default_factory=list)
    #: anything else a round measured (latency samples, CPU, ...), in round order
    extras: list[dict[str, Any]] = field(default_factory=list)

    @property
    def median(self) -> float:
        return median(self.values)

    def extra_median(self, key: str) -> float:
        return median([extra[key] for extra in self.extras if key in extra])

    def pooled(self, key: str) -> list[float]:
        """A sample list (latencies) from every round, pooled."""
        return [value for extra in self.extras for value in extra.get(key, [])]


Round = Callable[[], Awaitable[tuple[float, dict[str, Any]]]]


async def alternate(sides: dict[str, Round], rounds: int) -> dict[str, Rounds]:
    """Run A, B, (C,) A, B, ... ``rounds`` times; on a 2-core box only same-run ratios count."""
    results = {name: Rounds() for name in sides}
    for index in range(rounds):
        order = list(sides.items())
        if index % 2:
            order.reverse()  # A B, B A, A B: neither side always runs first
        for name, run in order:
            value, extra = await run()
            results[name].values.append(value)
            results[name].extras.append(extra)
            print(f"    round {index + 1} {name}: {value:,.2f}", flush=True)
    return results
