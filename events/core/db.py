"""Database engines, migrations and the write-transaction helper.

SQLite: WAL journal, a busy timeout, and IMMEDIATE transactions for every workflow that writes
(a DEFERRED transaction that reads then writes fails with "database is locked" under load).
PostgreSQL: an asyncpg pool opened and closed in the app's lifespan.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import threading
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType
from piccolo.table import Table, sort_table_classes


def _conf():
    # Imported when first needed: it opens the configured engine, and a bad
    # EVENTS_DATABASE_URL must surface as the command's clear error, not at import.
    from events.core import piccolo_conf

    return piccolo_conf


def registered_tables() -> list[type[Table]]:
    """Every table of every app in the registry, each after the tables it refers to."""
    tables = [
        table
        for app_config in _conf().APP_REGISTRY.app_configs.values()
        for table in app_config.table_classes
    ]
    return sort_table_classes(tables)


def current_engine() -> Engine:
    return _conf().DB


def use_engine(engine: Engine) -> None:
    """Point every table of every registered app (and the migration machinery) at `engine`;
    used by tests and benchmarks."""
    from piccolo.apps.migrations.tables import Migration

    _conf().DB = engine
    for table in (*registered_tables(), Migration):
        table._meta.db = engine


def is_sqlite(engine: Engine | None = None) -> bool:
    return (engine or current_engine()).engine_type == "sqlite"


class _FileLockAttempt:
    """One attempt to take the cross-worker lock `<db>.write-lock`, safe to abandon.

    flock() blocks, so it waits in a thread. If the task waiting for it is cancelled, the
    thread may still get the lock later; the attempt is then marked abandoned and whoever sees
    that last (the thread after taking it, or the task if it was already taken) closes the
    attempt's own descriptor, which drops the lock. One descriptor per attempt: flock() locks
    belong to an open file, so a left-over thread can never release someone else's lock.
    """

    def __init__(self, path: str) -> None:
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self._guard = threading.Lock()
        self._state = "waiting"  # waiting → held | abandoned

    def take(self) -> None:  # runs in a thread
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        except BaseException:
            self.abandon()
            raise
        with self._guard:
            if self._state == "abandoned":
                os.close(self.fd)
                return
            self._state = "held"

    def abandon(self) -> None:
        with self._guard:
            held, self._state = self._state == "held", "abandoned"
            if held:
                os.close(self.fd)

    def release(self) -> None:
        os.close(self.fd)


class _SqliteWriter:
    """One writer at a time on a SQLite file, handed over without polling.

    SQLite allows one writer; others wait in its busy handler, which sleeps and retries (up to
    100 ms a try), so under load most of the time goes to sleeping. Here writers queue on an
    asyncio lock within a worker and on an flock() of `<db>.write-lock` across workers (taken
    in a thread, so the event loop never blocks), and BEGIN IMMEDIATE then finds the file free.
    A cancelled wait leaves no lock behind (`_FileLockAttempt`). The lock is re-entrant within
    a task, as Piccolo's transactions nest.
    """

    def __init__(self) -> None:
        self._locks: dict[tuple[str, int], asyncio.Lock] = {}
        self._owner: ContextVar[str | None] = ContextVar("sqlite_writer_owner", default=None)

    def held(self) -> bool:
        return self._owner.get() is not None

    @asynccontextmanager
    async def hold(self, path: str):
        if self._owner.get() == path:
            yield
            return
        loop = asyncio.get_running_loop()
        lock = self._locks.setdefault((path, id(loop)), asyncio.Lock())
        async with lock:
            attempt = _FileLockAttempt(f"{path}.write-lock")
            try:
                await loop.run_in_executor(None, attempt.take)
            except BaseException:
                attempt.abandon()
                raise
            token = self._owner.set(path)
            try:
                yield
            finally:
                self._owner.reset(token)
                attempt.release()


_sqlite_writer = _SqliteWriter()


class _KeepOpen:
    """The writer connection as Piccolo's transaction sees it: `close()` does not close it."""

    def __init__(self, connection) -> None:
        self._connection = connection

    def __getattr__(self, name):
        return getattr(self._connection, name)

    async def close(self) -> None:
        return None


class _WriterTransaction(SQLiteTransaction):
    """An IMMEDIATE transaction on the worker's one long-lived writer connection.

    Piccolo opens a new connection (and thread) for every transaction; the writer lock already
    makes writes one at a time per worker, so they can share one open connection.
    """

    writer: Any = None

    async def get_connection(self):
        return _KeepOpen(self.writer)


_writers: dict[tuple[str, int], Any] = {}


async def _writer_connection(engine: SQLiteEngine):
    key = (engine.path, id(asyncio.get_running_loop()))
    connection = _writers.get(key)
    if connection is None:
        connection = _writers[key] = await engine.get_connection()
        # WAL + NORMAL: a commit does not wait for fsync; the database cannot be corrupted,
        # and at worst the last commits before a power cut are lost (SQLite's documented
        # trade-off). PostgreSQL is the production engine for data that must survive that.
        await connection.execute("PRAGMA synchronous=NORMAL")
    return connection


@asynccontextmanager
async def write_transaction():
    """A transaction for a workflow that writes: IMMEDIATE on SQLite, plain on PostgreSQL."""
    engine = current_engine()
    if isinstance(engine, SQLiteEngine):
        async with _sqlite_writer.hold(engine.path):
            transaction = _WriterTransaction(engine, TransactionType.immediate)
            if transaction._parent is None:
                transaction.writer = await _writer_connection(engine)
            async with transaction:
                yield
        return
    async with engine.transaction():
        yield


async def open_pool() -> bool:
    """Open the PostgreSQL pool unless one is open; True when this call opened it."""
    engine = current_engine()
    if isinstance(engine, PostgresEngine) and engine.pool is None:
        await engine.start_connection_pool(min_size=2, max_size=20)
        return True
    return False


async def close_writers() -> None:
    """Close this event loop's SQLite writer connections (their threads keep a process alive)."""
    loop_id = id(asyncio.get_running_loop())
    for key in [key for key in _writers if key[1] == loop_id]:
        await _writers.pop(key).close()


async def close_pool() -> None:
    await close_writers()
    engine = current_engine()
    if isinstance(engine, PostgresEngine) and engine.pool is not None:
        await engine.close_connection_pool()


async def migrate() -> None:
    """Apply every pending migration of every app."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    result = await run_forwards(app_name="all")
    if not result.success:
        raise RuntimeError(f"Migrations failed: {result.message}")


async def ping() -> bool:
    from events.tables import Event

    try:
        await Event.raw("SELECT 1")
    except Exception:
        return False
    return True
