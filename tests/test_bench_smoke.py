"""The benchmark scripts at their smoke sizes, so they never rot (issue 8).

Nothing here is timed and no bar is asserted: on a loaded 2-core machine only the full
run's alternated rounds mean anything. What must hold is that every scenario ran against
the real processes and measured something on both sides, and the report was written.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: every row the report must have, by scenario id; B2 rides on B1 and B4 on B3
EXPECTED = {
    "B1": ["jobs/s end to end vs raw aio-pika", "jobs/s end to end vs celery"],
    "B2": ["first event p50", "first event p99", "first event p99 vs raw two-hop p99"],
    "B3": ["deliveries/s", "delivery lag p99", "cost per event"],
    "B4": ["RSS per idle subscription"],
    "B5": ["job(id) queries/s"],
    "B6": ["DB updates per job-second", "event lag p99"],
}


def _bench(module: str, *args: str, timeout: float = 220) -> subprocess.CompletedProcess[str]:
    """``python -m <module> <args>`` with none of the developer's service settings."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CAREEROPS_")}
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.timeout(240)
def test_every_scenario_runs_at_smoke_size_and_writes_its_report(tmp_path: Path) -> None:
    output = tmp_path / "results.md"

    run = _bench(
        "bench", "--smoke", "--output", str(output), "--json", str(tmp_path / "results.json")
    )

    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    report = json.loads((tmp_path / "results.json").read_text())
    rows = report["rows"]
    for scenario, metrics in EXPECTED.items():
        for metric in metrics:
            matching = [r for r in rows if r["id"] == scenario and r["metric"].startswith(metric)]
            assert matching, f"{scenario} {metric!r} missing from {[r['metric'] for r in rows]}"
            assert all(r["service"] > 0 for r in matching), matching
    assert all(r["baseline"] > 0 for r in rows if r["id"] in ("B1", "B3", "B5")), rows
    assert {"Python", "PostgreSQL", "RabbitMQ"} <= report["meta"].keys()
    markdown = output.read_text()
    assert "| B1 |" in markdown and "| B6 |" in markdown
    charts = sorted(path.name for path in (tmp_path / "charts-smoke").glob("*.png"))
    assert charts == ["fanout.png", "latency.png"]


@pytest.mark.timeout(120)
def test_the_decomposition_costs_each_part_of_the_apis_work() -> None:
    run = _bench("bench.decompose", "--count", "40", timeout=110)

    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    parts = dict(line.split(": ", 1) for line in run.stdout.splitlines())
    assert list(parts) == [
        "createCoverLetter over HTTP",
        "job(id) over HTTP",
        "an event pushed to one myJobs socket",
        "an event no subscriber is sent",
    ]
    assert all(float(cost.split()[1]) > 0 for cost in parts.values()), parts
    assert parts["an event pushed to one myJobs socket"].endswith("; 40 pushes")
    assert parts["an event no subscriber is sent"].endswith("; 0 pushes")
