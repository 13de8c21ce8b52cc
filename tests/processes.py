"""Real `careerops` processes for tests: spawn, wait until healthy, stop."""

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from core.settings import Settings

ROOT = Path(__file__).parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def environment(settings: Settings, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CAREEROPS_", "OPENAI_"))
    }
    env.update(
        {
            "CAREEROPS_DATABASE_URL": settings.database_url or "",
            "CAREEROPS_AMQP_URL": settings.amqp_url or "",
            "CAREEROPS_AMQP_PREFIX": settings.amqp_prefix,
            "CAREEROPS_JWT_SECRET": str(settings.jwt_secret),
            "CAREEROPS_WRITER": "offline",
            "CAREEROPS_WRITER_PACE_MS": "0",
            "CAREEROPS_WORKER_HTTP_PORT": "0",
            # Tests create many jobs per user, and users from one address; the abuse limits
            # have their own tests.
            "CAREEROPS_JOBS_PER_MINUTE": "0",
            "CAREEROPS_MAX_ACTIVE_JOBS": "0",
            "CAREEROPS_SIGN_UPS_PER_ADDRESS_PER_HOUR": "0",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.update(extra)
    return env


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "api", *args]


def run_careerops(
    *args: str, env: Mapping[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``careerops <args>`` run to its end; its exit status, stdout and stderr."""
    return subprocess.run(
        command(*args),
        env=None if env is None else dict(env),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


async def wait_healthy(
    base_url: str, process: subprocess.Popen[bytes], timeout: float = 20
) -> None:
    async with httpx.AsyncClient() as client:
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"process exited with {process.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"{base_url}/healthz")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise TimeoutError(f"{base_url} never became healthy")


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 15) -> int:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


@dataclass(frozen=True)
class ApiProcess:
    url: str
    process: subprocess.Popen[bytes]


@contextlib.asynccontextmanager
async def api_process(
    env: Mapping[str, str], *extra_args: str, log: Path | None = None
) -> AsyncIterator[ApiProcess]:
    """``careerops api`` on a free port; its log (stderr) to ``log`` if given."""
    port = free_port()
    with contextlib.ExitStack() as files:
        stderr = files.enter_context(log.open("wb")) if log is not None else None
        process = subprocess.Popen(
            command("api", "--port", str(port), *extra_args), env=dict(env), cwd=ROOT, stderr=stderr
        )
    try:
        base_url = f"http://127.0.0.1:{port}"
        await wait_healthy(base_url, process)
        yield ApiProcess(base_url, process)
    finally:
        # off the event loop: the test's own servers (a fake OpenAI, a proxy) may be what
        # the process talks to as it shuts down
        await asyncio.to_thread(stop, process)


@contextlib.asynccontextmanager
async def worker_process(
    env: Mapping[str, str], *, log: Path | None = None
) -> AsyncIterator[subprocess.Popen[bytes]]:
    """``careerops worker``; its log (stderr) to ``log`` if given."""
    with contextlib.ExitStack() as files:
        stderr = files.enter_context(log.open("wb")) if log is not None else None
        process = subprocess.Popen(command("worker"), env=dict(env), cwd=ROOT, stderr=stderr)
    try:
        yield process
    finally:
        # off the event loop: the test's own servers (a fake OpenAI, a proxy) may be what
        # the process talks to as it shuts down
        await asyncio.to_thread(stop, process)
