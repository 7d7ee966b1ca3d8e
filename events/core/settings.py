"""One settings object, read from the environment once."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite:///var/events.sqlite3"


def data_dir() -> Path:
    """The data folder (`./var/`, relative to the working directory)."""
    path = Path(os.environ.get("EVENTS_DATA_DIR", "var"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _secret_key() -> str:
    key = os.environ.get("EVENTS_SECRET_KEY")
    if key:
        return key
    path = data_dir() / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    # Created with 0600 so that only the service's user reads it.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    base_url: str | None
    smtp_url: str | None

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgres://", "postgresql://"))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    base = os.environ.get("EVENTS_BASE_URL") or None
    return Settings(
        database_url=os.environ.get("EVENTS_DATABASE_URL") or DEFAULT_DATABASE_URL,
        secret_key=_secret_key(),
        base_url=base.rstrip("/") if base else None,
        smtp_url=os.environ.get("EVENTS_SMTP_URL") or None,
    )
