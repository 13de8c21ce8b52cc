"""Break the real services on this machine, and always put them back."""

import asyncio
import contextlib
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path


def _run(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True, timeout=120)


def _pg_cluster() -> tuple[str, str]:
    version = sorted(path.name for path in Path("/etc/postgresql").iterdir())[0]
    return version, "main"


async def _until_ready(*command: str, timeout: float = 60) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while subprocess.run(command, capture_output=True, check=False).returncode != 0:
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(" ".join(command))
        await asyncio.sleep(0.2)


async def stop_rabbitmq() -> None:
    await asyncio.to_thread(_run, "rabbitmqctl", "-q", "stop_app")


async def start_rabbitmq() -> None:
    await asyncio.to_thread(_run, "rabbitmqctl", "-q", "start_app")
    await asyncio.to_thread(_run, "rabbitmqctl", "-q", "await_startup")


@contextlib.asynccontextmanager
async def rabbitmq_down() -> AsyncIterator[None]:
    """RabbitMQ's application stopped (every connection dropped) for the block's duration."""
    await stop_rabbitmq()
    try:
        yield
    finally:
        await start_rabbitmq()


async def stop_postgres() -> None:
    version, name = _pg_cluster()
    await asyncio.to_thread(
        _run, "pg_ctlcluster", "--skip-systemctl-redirect", version, name, "stop", "-m", "fast"
    )


async def start_postgres() -> None:
    version, name = _pg_cluster()
    await asyncio.to_thread(
        _run, "pg_ctlcluster", "--skip-systemctl-redirect", version, name, "start"
    )
    await _until_ready("pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432")


@contextlib.asynccontextmanager
async def postgres_down() -> AsyncIterator[None]:
    await stop_postgres()
    try:
        yield
    finally:
        await start_postgres()
