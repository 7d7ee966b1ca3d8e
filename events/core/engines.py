"""Database engines from a URL: SQLite (WAL) or PostgreSQL (asyncpg)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine


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
