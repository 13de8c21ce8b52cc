"""Spawned processes, and what they cost: CPU time (ns precision) and resident memory."""

import asyncio
import contextlib
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.env import ROOT


def log_dir() -> Path:
    """Where spawned processes write their output (one folder per bench run, kept)."""
    path = os.environ.get("BENCH_LOG_DIR")
    if path is None:
        path = os.environ["BENCH_LOG_DIR"] = tempfile.mkdtemp(prefix="careerops-bench-logs-")
    return Path(path)


def raise_fd_limit() -> int:
    """Lift the soft RLIMIT_NOFILE to the hard one (children inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def cpu_ns(pid: int) -> int:
    """CPU time of every thread of ``pid`` so far, in nanoseconds (0 once it is gone)."""
    total = 0
    with contextlib.suppress(FileNotFoundError, ProcessLookupError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(FileNotFoundError, ProcessLookupError):
                with open(f"/proc/{pid}/task/{task}/schedstat") as stat:
                    total += int(stat.read().split()[0])
    return total


def total_cpu_ns(pids: Iterable[int]) -> int:
    return sum(cpu_ns(pid) for pid in pids)


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def infra_pids() -> list[int]:
    """Postgres and RabbitMQ processes (machine-wide: other users of them count too)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                comm = Path(f"/proc/{entry}/comm").read_text().strip()
                if comm in ("postgres", "beam.smp", "erl_child_setup"):
                    pids.append(int(entry))
    return pids


class InfraCpu:
    """The CPU PostgreSQL and RabbitMQ spend from now on, by processes old and new.

    A pool opens connections as load grows, and each is a new PostgreSQL backend: counting
    only the processes that were there at the start missed what those spent.
    """

    def __init__(self) -> None:
        self._start = {pid: cpu_ns(pid) for pid in infra_pids()}

    def spent_ns(self) -> int:
        return sum(cpu_ns(pid) - self._start.get(pid, 0) for pid in infra_pids())


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    url: str | None = None
    log: Path = field(default_factory=Path)
    #: Celery takes 4-10 s to shut down, SIGTERM or SIGQUIT; the bench keeps nothing of it
    stop_signal: signal.Signals = signal.SIGTERM

    @property
    def pid(self) -> int:
        return self.popen.pid

    def tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""


def spawn(
    name: str,
    args: Sequence[str],
    env: Mapping[str, str],
    stop_signal: signal.Signals = signal.SIGTERM,
) -> Proc:
    directory = log_dir()
    log = directory / f"{len(os.listdir(directory)):02d}-{name}.log"
    with open(log, "wb") as out:
        popen = subprocess.Popen(
            [sys.executable, *args], env=dict(env), cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
        )
    return Proc(name, popen, log=log, stop_signal=stop_signal)


async def wait_http(proc: Proc, url: str, timeout: float = 30) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    async with httpx.AsyncClient() as client:
        while loop.time() < deadline:
            if proc.popen.poll() is not None:
                raise RuntimeError(f"{proc.name} exited:\n{proc.tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(url)).status_code == 200:
                    return
            await asyncio.sleep(0.05)
    raise TimeoutError(f"{proc.name} never answered {url}:\n{proc.tail()}")


async def wait_log(proc: Proc, marker: str, timeout: float = 30) -> None:
    """Wait until the process printed ``marker`` (workers have no HTTP endpoint)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if proc.popen.poll() is not None:
            raise RuntimeError(f"{proc.name} exited:\n{proc.tail()}")
        if marker in proc.log.read_text(errors="replace"):
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"{proc.name} never printed {marker!r}:\n{proc.tail()}")


def stop(*procs: Proc, timeout: float = 10) -> None:
    """SIGTERM to all at once (each drains in parallel), SIGKILL to any still up after that."""
    for proc in procs:
        if proc.popen.poll() is None:
            proc.popen.send_signal(proc.stop_signal)
    deadline = time.monotonic() + timeout
    for proc in procs:
        try:
            proc.popen.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.popen.kill()
            proc.popen.wait()


@contextlib.asynccontextmanager
async def running(procs: Sequence[Proc]) -> AsyncIterator[Sequence[Proc]]:
    try:
        yield procs
    finally:
        stop(*procs)


async def start_api(env: Mapping[str, str], name: str = "api") -> Proc:
    """``careerops api`` (through bench.service_main, which may apply bench patches)."""
    port = free_port()
    proc = spawn(name, ["-m", "bench.service_main", "api", "--port", str(port)], env)
    proc.url = f"http://127.0.0.1:{port}"
    await wait_http(proc, f"{proc.url}/healthz")
    return proc
