"""Each step's median time from the request, read from the ``timeline`` probe's lines.

``python -m bench.timeline /tmp/careerops-bench-logs-…`` reads every ``*timeline*.log``
there (the processes started with ``BENCH_PATCHES=timeline``). A step that names no job
(the request, the worker taking a message) belongs to the job its task names next, or,
if it closes (``<``) with no such step waiting, to the job its task named last.
"""

import argparse
import statistics
from collections import defaultdict
from pathlib import Path

Mark = tuple[float, str]


def read_marks(log_dir: Path) -> dict[str, list[Mark]]:
    """Every job's marks, by job id."""
    lines = []
    for path in sorted(log_dir.glob("*timeline*.log")):
        for line in path.read_text().splitlines():
            if line.startswith("TL "):
                _, at, step, task, job_id = line.split()
                lines.append((float(at), step, f"{path.name}:{task}", job_id))
    lines.sort()
    marks: dict[str, list[Mark]] = defaultdict(list)
    waiting: dict[str, list[Mark]] = defaultdict(list)
    last_job: dict[str, str] = {}
    for at, step, task, job_id in lines:
        if job_id == "-":
            # a closing step with none waiting closes the task's last job (tasks' ids are reused)
            if step.endswith("<") and not waiting[task] and task in last_job:
                marks[last_job[task]].append((at, step))
            else:
                waiting[task].append((at, step))
            continue
        marks[job_id].extend(waiting.pop(task, []))
        marks[job_id].append((at, step))
        last_job[task] = job_id
    return marks


def step_medians(
    marks: dict[str, list[Mark]], start: str = "request>"
) -> list[tuple[str, float, int]]:
    """(step, median ms after ``start``, jobs) for the jobs that have ``start``."""
    offsets: dict[str, list[float]] = defaultdict(list)
    for job_marks in marks.values():
        first: dict[str, float] = {}
        for at, step in sorted(job_marks):
            first.setdefault(step, at)
        if start not in first:
            continue
        for step, at in first.items():
            offsets[step].append((at - first[start]) * 1000)
    rows = [(step, statistics.median(ms), len(ms)) for step, ms in offsets.items()]
    return sorted(rows, key=lambda row: row[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("log_dir", type=Path)
    for step, median, count in step_medians(read_marks(parser.parse_args().log_dir)):
        print(f"{step:24} {median:8.3f} ms  ({count} jobs)")


if __name__ == "__main__":
    main()
