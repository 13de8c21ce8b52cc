"""``bench/results.md`` and the PNG charts beside it."""

import importlib.util
import math
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.results import Results, Row
from bench.stats import percentile

HOW_TO_RUN = (
    "`make bench` (or `.venv/bin/python -m bench`) runs every scenario; "
    "`make bench-smoke` runs tiny sizes. See `bench/README.md`; `bench/changes.md` says "
    "what was changed for speed, what each change bought and what limits the bars missed."
)


#: what the profiles overstate, found by comparing them with a CPU-time profile
PREEMPTED_SENDS = (
    "py-spy counts a thread that is runnable but not running as busy. On a saturated"
    " 2-core machine a send that wakes RabbitMQ or PostgreSQL is often preempted right"
    " there, so socket writes (`StreamWriter.write`, asyncpg's `Connection._do_execute`)"
    " show far above their CPU: in the workers under B1, cProfile on thread CPU time"
    " (`BENCH_PATCHES=cprofile`) put them at 32 and 46 µs a call, where a wall-clock"
    " cProfile put them at 744 and 360 µs."
)


def _number(value: float | None, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"
    return text + unit


def _row(row: Row) -> str:
    verdict = {True: "**pass**", False: "**MISS**", None: "-"}[row.ok]
    ratio = "-" if row.ratio is None else f"{row.ratio:.2f}"
    cells = [
        row.id,
        row.metric,
        _number(row.service, row.unit),
        _number(row.baseline, row.unit),
        ratio,
        row.bar,
        verdict,
        row.cpu_ms or "-",
        row.note or "",
    ]
    return "| " + " | ".join(cell.replace("|", "/") for cell in cells) + " |"


def markdown(results: Results, charts: list[str]) -> str:
    title = "Benchmark results" + (" (smoke sizes: not a measurement)" if results.smoke else "")
    lines = [f"# {title}", "", HOW_TO_RUN, "", "| | |", "| --- | --- |"]
    lines += [f"| {key} | {value} |" for key, value in results.meta.items()]
    lines += [
        "",
        "Ratios are service ÷ baseline, both measured in the same run; each figure is the",
        "median of the rounds (sides alternated A B, B A, A B). CPU-ms are the service's own",
        "processes (API + workers); `pg+mq` is PostgreSQL + RabbitMQ, machine-wide.",
        "",
        "| id | metric | service | baseline | ratio | bar | result | CPU-ms | notes |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        *(_row(row) for row in results.rows),
    ]
    if results.profiles:
        lines += ["", "## Where the CPU goes (py-spy, top three per process)", ""]
        lines += [PREEMPTED_SENDS, ""]
        for name, costs in results.profiles.items():
            lines.append(f"**{name}**")
            lines += [f"{index}. {cost}" for index, cost in enumerate(costs, 1)]
            lines.append("")
    if charts:
        lines += ["", "## Charts", ""] + [f"![{Path(c).stem}]({c})" for c in charts]
    if results.notes:
        lines += ["", "## Notes", ""] + [f"- {note}" for note in results.notes]
    return "\n".join(lines) + "\n"


def _latency_chart(results: Results, path: Path) -> None:
    import matplotlib.pyplot as plt

    sets = {name: sides for name, sides in results.latencies.items() if any(sides.values())}
    figure, axes = plt.subplots(1, len(sets), figsize=(5 * len(sets), 4), squeeze=False)
    for axis, (name, sides) in zip(axes[0], sets.items(), strict=True):
        for side, values in sides.items():
            if values:
                ordered = sorted(max(v, 0.01) for v in values)
                fractions = [100 * (i + 1) / len(ordered) for i in range(len(ordered))]
                label = (
                    f"{side} (p50 {percentile(ordered, 50):.1f}, p99 {percentile(ordered, 99):.1f})"
                )
                axis.plot(ordered, fractions, label=label)
        axis.set_xscale("log")
        axis.set_xlabel("ms (log)")
        axis.set_ylabel("% of samples at or below")
        axis.set_title(name, fontsize=9)
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def _fanout_chart(results: Results, path: Path) -> None:
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 4))
    for side, points in results.fanout.items():
        axis.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=side)
    axis.set_xscale("log")
    axis.set_xlabel("subscribers of the job (log)")
    axis.set_ylabel("deliveries/s (burst)")
    axis.set_title("B3 fan-out throughput against subscriber count", fontsize=9)
    axis.grid(True, which="both", alpha=0.3)
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def _charts(results: Results, output: Path) -> list[str]:
    if importlib.util.find_spec("matplotlib") is None:
        results.notes.append("Charts skipped: matplotlib is not installed (bench extra).")
        return []
    import matplotlib

    matplotlib.use("Agg")
    directory = output.parent / ("charts-smoke" if results.smoke else "charts")
    directory.mkdir(exist_ok=True)
    made = []
    if results.latencies:
        _latency_chart(results, directory / "latency.png")
        made.append(f"{directory.name}/latency.png")
    if results.fanout:
        _fanout_chart(results, directory / "fanout.png")
        made.append(f"{directory.name}/fanout.png")
    return made


def write(results: Results, output: Path, *, charts: bool = True) -> None:
    made = _charts(results, output) if charts else []
    output.write_text(markdown(results, made))


def as_json(results: Results) -> dict[str, Any]:
    return {
        "smoke": results.smoke,
        "meta": results.meta,
        "rows": [{**asdict(row), "ratio": row.ratio} for row in results.rows],
        "profiles": results.profiles,
        "notes": results.notes,
    }
