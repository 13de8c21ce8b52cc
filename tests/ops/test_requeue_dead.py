"""`requeue-dead` on both backends: a run that fails midway loses no dead letter."""

from pathlib import Path

import pytest

from api.admin import requeue_dead
from broker.base import Broker
from core.settings import Settings
from db.connection import Db
from tests.conftest import StartApi, StartWorker
from tests.waiting import until_async
from tests.worker.test_consumer import FlakyWriter


async def a_database_gone(settings: Settings, tmp_path: Path) -> Db:
    """A Db whose every statement fails: PostgreSQL's pool closed, SQLite's file unreachable."""
    assert settings.database_url is not None
    if settings.database_url.startswith("sqlite"):
        gone = Db(f"sqlite:///{tmp_path}/no such folder/careerops.db")
        await gone.connect()
        return gone
    gone = Db(settings.database_url)
    await gone.connect()
    await gone.disconnect()
    return gone


async def test_a_requeue_that_fails_midway_leaves_every_dead_letter_parked(
    start_api: StartApi,
    start_worker: StartWorker,
    settings: Settings,
    db: Db,
    broker: Broker,
    tmp_path: Path,
) -> None:
    # The dead letters were all taken off the queue first: the database failing on the
    # first one lost every one of them.
    api = await start_api()
    await start_worker(FlakyWriter(failures=2), max_attempts=1)  # the provider is down twice
    token = await api.register()
    for _ in range(2):
        job = await api.create_job(token)
        await api.wait_for_status(token, job["id"], "FAILED")
    await broker.publish_raw(b"not json at all")  # type: ignore[attr-defined]

    async def three_parked() -> bool:
        return len(await broker.dead_letters()) == 3

    await until_async(three_parked)

    with pytest.raises(Exception):  # noqa: B017 (whatever a database gone away raises)
        await requeue_dead(await a_database_gone(settings, tmp_path), broker)

    assert len(await broker.dead_letters()) == 3
    assert await requeue_dead(db, broker) == (2, 1)
    assert await broker.dead_letters() == [b"not json at all"]
    await api.wait_for_status(token, job["id"], "COMPLETED")
