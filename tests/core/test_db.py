"""Engines and the SQLite writer lock: every app's tables switch engines; a cancelled wait for
the writer lock leaves no lock behind."""

from __future__ import annotations

import asyncio
import fcntl
import os
import time

import pytest
from piccolo.columns import Varchar
from piccolo.conf.apps import AppConfig
from piccolo.table import Table

from events.core import db as dbmod
from events.core import piccolo_conf
from events.tables import Event, Registration


class Widget(Table, tablename="widget_of_another_app"):
    name = Varchar(length=20)


@pytest.fixture
def another_app(monkeypatch):
    """A second Piccolo app in the registry, as contests and matching will be."""
    registry = piccolo_conf.APP_REGISTRY
    config = AppConfig(app_name="another", migrations_folder_path="", table_classes=[Widget])
    monkeypatch.setitem(registry.app_configs, "another", config)
    return config


def test_registered_tables_cover_every_app_in_dependency_order(another_app):
    tables = dbmod.registered_tables()
    assert Widget in tables and Event in tables
    assert tables.index(Event) < tables.index(Registration)  # referenced before referrers


def test_use_engine_switches_the_tables_of_every_app(another_app, tmp_path):
    from events.core.engines import engine_from_url

    previous = dbmod.current_engine()
    engine = engine_from_url(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    try:
        dbmod.use_engine(engine)
        assert Widget._meta.db is engine and Event._meta.db is engine
        assert dbmod.current_engine() is engine
    finally:
        dbmod.use_engine(previous)
    assert Widget._meta.db is previous


def _free_within(path: str, seconds: float) -> bool:
    """Whether another process could take the write lock within `seconds`."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                time.sleep(0.01)
                continue
            fcntl.flock(fd, fcntl.LOCK_UN)
            return True
        return False
    finally:
        os.close(fd)


async def test_a_cancelled_wait_for_the_writer_lock_leaves_no_lock_behind(tmp_path):
    database = str(tmp_path / "events.sqlite3")
    lock_file = f"{database}.write-lock"
    other_worker = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(other_worker, fcntl.LOCK_EX)  # another worker is writing

    async def write():
        async with dbmod._sqlite_writer.hold(database):
            await asyncio.sleep(60)

    waiting = asyncio.create_task(write())
    await asyncio.sleep(0.1)  # it now waits for the flock in a thread
    waiting.cancel()
    fcntl.flock(other_worker, fcntl.LOCK_UN)  # the other worker commits
    os.close(other_worker)
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert await asyncio.to_thread(_free_within, lock_file, 2.0), "a cancelled wait kept the lock"

    async def quick():  # and this worker can still write
        async with dbmod._sqlite_writer.hold(database):
            return True

    assert await asyncio.wait_for(quick(), 2.0)


async def test_registrations_go_on_after_a_cancelled_one(db):
    """A registration whose request is cancelled mid-way (client gone) leaves the database
    writable and the counters exact, on either engine."""
    from events.registration import registration as reg
    from events.scheduling import scheduling
    from tests.registration.test_registration import counts, make_event

    event = await make_event(capacity=50, max_party_size=1)

    async def one(n: int):
        return await reg.register(event["id"], {"name": f"居民{n}", "phone": f"1380000{n:04d}"})

    tasks = [asyncio.create_task(one(n)) for n in range(20)]
    await asyncio.sleep(0)
    for task in tasks[::3]:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    later = await asyncio.wait_for(one(99), 5.0)
    assert later["status"] == "confirmed"
    confirmed, _ = await counts(event["id"])
    rows = await Registration.count().where(Registration.event == event["id"])
    assert confirmed == rows  # every registration that committed is counted, no more
    assert (await scheduling.get_event(event["id"]))["confirmed"] == rows
