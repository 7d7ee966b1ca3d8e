"""Database engines, migrations and the write-transaction helper.

SQLite: WAL journal, a busy timeout, and IMMEDIATE transactions for every workflow that writes
(a DEFERRED transaction that reads then writes fails with "database is locked" under load).
PostgreSQL: an asyncpg pool opened and closed in the app's lifespan.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import anyio.to_thread
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType


class DatabaseUrlError(ValueError):
    pass


def sqlite_path(url: str) -> Path:
    # sqlite:///relative/path and sqlite:////absolute/path, as in SQLAlchemy.
    rest = url[len("sqlite://") :]
    if not rest.startswith("/"):
        raise DatabaseUrlError(f"Not a SQLite URL: {url!r}")
    rest = rest[1:]
    if not rest or rest == ":memory:":
        raise DatabaseUrlError("An in-memory SQLite database is not supported; give a file path.")
    return Path(rest)


def engine_from_url(url: str) -> Engine:
    if url.startswith("sqlite://"):
        path = sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        _enable_wal(path)
        return SQLiteEngine(path=str(path), timeout=30)
    if url.startswith(("postgres://", "postgresql://")):
        parts = urlsplit(url)
        if not parts.path.strip("/"):
            raise DatabaseUrlError("The PostgreSQL URL names no database.")
        return PostgresEngine(config={"dsn": url}, log_queries=False)
    raise DatabaseUrlError(
        f"EVENTS_DATABASE_URL must start with sqlite:/// or postgresql:// (got {url!r})"
    )


def _enable_wal(path: Path) -> None:
    # journal_mode=WAL is persistent: set once per file, every later connection inherits it.
    connection = sqlite3.connect(path, timeout=30)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
    finally:
        connection.close()


def current_engine() -> Engine:
    from events.tables import Event

    return Event._meta.db


def use_engine(engine: Engine) -> None:
    """Point every table (and the migration machinery) at `engine`; used by tests."""
    from piccolo.apps.migrations.tables import Migration

    from events import piccolo_conf
    from events.piccolo_app import APP_CONFIG

    piccolo_conf.DB = engine
    for table in (*APP_CONFIG.table_classes, Migration):
        table._meta.db = engine


def is_sqlite(engine: Engine | None = None) -> bool:
    return (engine or current_engine()).engine_type == "sqlite"


class _SqliteWriter:
    """One writer at a time on a SQLite file, handed over without polling.

    SQLite allows one writer; others wait in its busy handler, which sleeps and retries (up to
    100 ms a try), so under load most of the time goes to sleeping. Here writers queue on an
    asyncio lock within a worker and on an flock() of `<db>.write-lock` across workers (taken
    in a thread, so the event loop never blocks), and BEGIN IMMEDIATE then finds the file free.
    The lock is re-entrant within a task, as Piccolo's transactions nest.
    """

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._files: dict[str, int] = {}
        self._owner: ContextVar[str | None] = ContextVar("sqlite_writer_owner", default=None)

    @asynccontextmanager
    async def hold(self, path: str):
        if self._owner.get() == path:
            yield
            return
        lock = self._locks.setdefault(path, asyncio.Lock())
        async with lock:
            fd = self._files.get(path)
            if fd is None:
                fd = self._files[path] = os.open(
                    f"{path}.write-lock", os.O_RDWR | os.O_CREAT, 0o600
                )
            # Not cancellable while waiting: a cancelled wait would leave the flock taken.
            await anyio.to_thread.run_sync(fcntl.flock, fd, fcntl.LOCK_EX)
            token = self._owner.set(path)
            try:
                yield
            finally:
                self._owner.reset(token)
                fcntl.flock(fd, fcntl.LOCK_UN)


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


class _OneHopWriter:
    """Whole SQLite write transactions run on this worker's writer thread, in batches.

    `write_transaction` holds the writer lock across every statement's await (a thread hop
    each); in a registration rush that hand-over, not SQLite, is the cost. Here plain
    functions run on a dedicated thread with its own connection. Whatever has queued up while
    the thread was busy goes in ONE transaction (group commit): flock, BEGIN IMMEDIATE, each
    piece of work inside its own SAVEPOINT (rolled back alone if it fails or declines), COMMIT,
    unlock, then every waiting task is woken at once. The flock is on a file descriptor of its
    own, so it excludes `write_transaction` in this worker as well as the other workers.
    """

    MAX_BATCH = 100

    def __init__(self, path: str, loop: asyncio.AbstractEventLoop) -> None:
        from piccolo.engine.sqlite import SQLiteEngine, dict_factory

        self.path = path
        self.loop = loop
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")
        kwargs = SQLiteEngine(path=path, timeout=30).connection_kwargs
        self.connection: sqlite3.Connection = self.executor.submit(
            self._connect, kwargs, dict_factory
        ).result()
        self.fd = os.open(f"{path}.write-lock", os.O_RDWR | os.O_CREAT, 0o600)
        self.pending: list[tuple[Callable, tuple, asyncio.Future]] = []
        self.guard = threading.Lock()
        self.draining = False

    @staticmethod
    def _connect(kwargs: dict, row_factory) -> sqlite3.Connection:
        connection = sqlite3.connect(**{**kwargs, "check_same_thread": False})
        connection.row_factory = row_factory
        connection.isolation_level = None  # explicit BEGIN / COMMIT below
        connection.execute("PRAGMA foreign_keys = 1")
        connection.execute("PRAGMA synchronous=NORMAL")
        return connection

    async def run(self, work: Callable, *args):
        future = self.loop.create_future()
        with self.guard:
            self.pending.append((work, args, future))
            start, self.draining = not self.draining, True
        if start:
            self.executor.submit(self._drain)
        return await future

    def _drain(self) -> None:
        while True:
            with self.guard:
                batch = self.pending[: self.MAX_BATCH]
                del self.pending[: self.MAX_BATCH]
                if not batch:
                    self.draining = False
                    return
            try:
                outcomes = self._transaction(batch)
            except BaseException as error:
                outcomes = [(None, error)] * len(batch)
            self.loop.call_soon_threadsafe(_settle, [item[2] for item in batch], outcomes)

    def _transaction(self, batch: list) -> list[tuple[Any, BaseException | None]]:
        connection = self.connection
        outcomes: list[tuple[Any, BaseException | None]] = []
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        try:
            connection.execute("BEGIN IMMEDIATE")
            try:
                for work, args, _future in batch:
                    connection.execute("SAVEPOINT work")
                    try:
                        result = work(connection, *args)
                    except Exception as error:
                        connection.execute("ROLLBACK TO work")
                        outcomes.append((None, error))
                    else:
                        if result is None:
                            connection.execute("ROLLBACK TO work")
                        outcomes.append((result, None))
                    connection.execute("RELEASE work")
                connection.execute("COMMIT")
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise
        finally:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
        return outcomes

    def close(self) -> None:
        def close_connection() -> None:
            self.connection.close()

        self.executor.submit(close_connection).result()
        self.executor.shutdown(wait=True)
        os.close(self.fd)


def _settle(futures: list[asyncio.Future], outcomes: list) -> None:
    for future, (result, error) in zip(futures, outcomes, strict=True):
        if future.done():  # the waiting task was cancelled; the work stands
            continue
        if error is None:
            future.set_result(result)
        else:
            future.set_exception(error)


_one_hop: dict[tuple[str, int], _OneHopWriter] = {}


async def in_one_write(work: Callable, *args):
    """SQLite only: run `work(connection, *args)` on the writer thread inside an IMMEDIATE
    transaction (shared with other work queued at the same moment); its changes commit unless
    it returns None or raises. Not for use inside `write_transaction` (the task would wait for
    its own lock)."""
    engine = current_engine()
    if not isinstance(engine, SQLiteEngine):
        raise TypeError("in_one_write is for SQLite")
    if _sqlite_writer._owner.get() is not None:
        raise RuntimeError("in_one_write inside write_transaction")
    key = (engine.path, id(asyncio.get_running_loop()))
    writer = _one_hop.get(key)
    if writer is None:
        writer = _one_hop[key] = _OneHopWriter(engine.path, asyncio.get_running_loop())
    return await writer.run(work, *args)


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
    for key in [key for key in _one_hop if key[1] == loop_id]:
        _one_hop.pop(key).close()


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
