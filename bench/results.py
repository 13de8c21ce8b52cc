"""What a run measured: table rows, samples for the charts, profiles, and the versions."""

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Row:
    id: str
    metric: str
    service: float
    baseline: float | None
    #: e.g. "ratio >= 0.30" or "p99 <= 25 ms"; ``ok`` is None when there is no bar
    bar: str
    ok: bool | None
    unit: str = ""
    cpu_ms: str = ""
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.service / self.baseline


@dataclass
class Results:
    smoke: bool
    meta: dict[str, str] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)
    #: name -> {side: samples}, for latency-distribution charts
    latencies: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    #: side -> [(subscribers, deliveries/s)]
    fanout: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    #: scenario -> three biggest costs (text lines)
    profiles: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)

    def add(self, row: Row) -> None:
        self.rows.append(row)
        ratio = f" ratio {row.ratio:.2f}" if row.ratio is not None else ""
        verdict = {True: "PASS", False: "MISS", None: "-"}[row.ok]
        print(f"  {row.id} {row.metric}: {row.service:,.2f}{row.unit}{ratio} [{verdict}]")
