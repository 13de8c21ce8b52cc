"""Headless Chromium (Debian's package, never a downloaded one) driven by Playwright."""

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, async_playwright, expect

from api.webbuild import build_web, needs_build
from tests.client import Api
from tests.conftest import StartApi, StartWorker
from worker.writers.offline import OfflineWriter

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Streams take seconds and CI machines are small: wait generously, fail with a clear message.
expect.set_options(timeout=15_000)
#: Slow enough that a letter takes a few seconds to stream, so there is something to watch.
PACE_MS = 60


@pytest.fixture(scope="session")
def web_dist() -> None:
    """Build web/dist once per run if it is missing or older than its sources."""
    if needs_build():
        build_web()


@pytest.fixture
async def browser(web_dist: None) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield chromium
        await chromium.close()


StartSite = Callable[..., Awaitable[Api]]


@pytest.fixture
def start_site(start_api: StartApi, start_worker: StartWorker) -> StartSite:
    """The API (serving the page) and one worker whose letters stream at ``pace_ms`` per chunk."""

    async def start(pace_ms: int = PACE_MS, **overrides: Any) -> Api:
        api = await start_api(graphiql=True, **overrides)  # GraphiQL: off outside dev
        await start_worker(OfflineWriter(pace_ms=pace_ms))
        return api

    return start
