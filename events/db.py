"""Database engines, migrations and the write-transaction helper.

SQLite: WAL journal, a busy timeout, and IMMEDIATE transactions for every workflow that writes
(a DEFERRED transaction that reads then writes fails with "database is locked" under load).
PostgreSQL: an asyncpg pool opened and closed in the app's lifespan.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType


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


def write_transaction():
    """A transaction for a workflow that writes: IMMEDIATE on SQLite, plain on PostgreSQL."""
    engine = current_engine()
    if isinstance(engine, SQLiteEngine):
        return engine.transaction(transaction_type=TransactionType.immediate)
    return engine.transaction()


async def open_pool() -> bool:
    """Open the PostgreSQL pool unless one is open; True when this call opened it."""
    engine = current_engine()
    if isinstance(engine, PostgresEngine) and engine.pool is None:
        await engine.start_connection_pool(min_size=2, max_size=20)
        return True
    return False


async def close_pool() -> None:
    engine = current_engine()
    if isinstance(engine, PostgresEngine):
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
