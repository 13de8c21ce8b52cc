"""Where the CPU goes: py-spy samples of running processes, folded into a few named costs."""

import asyncio
import re
import shutil
import sys
from collections import Counter
from pathlib import Path

PROFILE_DIR = Path(__file__).parent / "profiles"

#: (bucket, top-level packages); py-spy names files relative to their sys.path entry
BUCKETS: tuple[tuple[str, frozenset[str]], ...] = (
    ("GraphQL execution (strawberry, graphql-core)", frozenset({"strawberry", "graphql"})),
    (
        "SQL client (databases, SQLAlchemy compile, asyncpg)",
        frozenset({"databases", "sqlalchemy", "asyncpg"}),
    ),
    ("AMQP client (aio-pika, aiormq, pamqp)", frozenset({"aio_pika", "aiormq", "pamqp"})),
    (
        "HTTP/websocket server (uvicorn, starlette, websockets)",
        frozenset({"uvicorn", "starlette", "websockets", "h11", "httptools"}),
    ),
    ("JSON encode/decode", frozenset({"json", "orjson"})),
    ("logging", frozenset({"logging"})),
    ("tracing and metrics", frozenset({"opentelemetry", "prometheus_client"})),
    ("JWT (PyJWT)", frozenset({"jwt"})),
    (
        "service code (core, db, broker, resolvers, worker, api, schema)",
        frozenset({"core", "db", "broker", "resolvers", "worker", "api", "schema"}),
    ),
    ("asyncio event loop and tasks", frozenset({"asyncio", "uvloop", "selectors.py"})),
)
_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>.*?):\d+\)$")


def _bucket(file: str) -> str | None:
    top = file.lstrip("/").split("/", 1)[0]
    for name, packages in BUCKETS:
        if top in packages:
            return name
    return None


def _frames(stack: str) -> list[tuple[str, str]]:
    frames = []
    for frame in stack.split(";"):
        match = _FRAME.match(frame)
        if match:
            frames.append((match["function"], match["file"]))
    return frames


def summarize(folded: Path, top: int = 3) -> list[str]:
    """The ``top`` buckets by share of samples, each with its hottest functions (self time)."""
    buckets: Counter[str] = Counter()
    functions: dict[str, Counter[str]] = {}
    total = 0
    for line in folded.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = _frames(stack)
        bucket = next(
            (b for _, file in reversed(frames) if (b := _bucket(file))), "other (stdlib, C)"
        )
        buckets[bucket] += count
        if frames:
            function, file = frames[-1]
        else:
            function, file = stack.rsplit(";", 1)[-1] or "?", "?"
        if True:
            label = f"{function} ({Path(file).parent.name}/{Path(file).name})"
            functions.setdefault(bucket, Counter())[label] += count
    if not total:
        return ["no samples"]
    lines = []
    for bucket, count in buckets.most_common(top):
        hottest = ", ".join(
            f"{label} {n / total:.0%}" for label, n in functions[bucket].most_common(3)
        )
        lines.append(f"{bucket}: {count / total:.0%} of samples (hottest: {hottest})")
    return lines


def _py_spy() -> str | None:
    candidate = Path(sys.executable).parent / "py-spy"
    return str(candidate) if candidate.exists() else shutil.which("py-spy")


async def record(targets: dict[str, int], seconds: float) -> dict[str, Path]:
    """Sample each named pid for ``seconds`` at once; folded stacks per name."""
    binary = _py_spy()
    if binary is None:
        return {}
    PROFILE_DIR.mkdir(exist_ok=True)
    outputs = {name: PROFILE_DIR / f"{name}.folded.txt" for name in targets}
    processes = [
        await asyncio.create_subprocess_exec(
            binary,
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(int(seconds)),
            "--rate",
            "200",
            "--format",
            "raw",
            "--nonblocking",
            "-o",
            str(outputs[name]),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        for name, pid in targets.items()
    ]
    await asyncio.gather(*(process.wait() for process in processes))
    return {name: path for name, path in outputs.items() if path.exists()}
