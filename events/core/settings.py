"""One settings object, read from the environment once.

Every `EVENTS_*` variable the application uses is a field of `Settings`, read (and checked) by
`read_settings`; `get_settings()` does that once per process. Nothing else in `events/` or
`web/` reads the environment (tests/test_settings.py holds that), and `hand_to_workers` is the
one place that writes it.

Tests that change a variable re-read the settings with `get_settings.cache_clear()` (see
tests/settings_env.py); tests of the reading itself call `read_settings` with a dict.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from limits import RateLimitItem, parse

DEFAULT_DATABASE_URL = "sqlite:///var/events.sqlite3"
DEFAULT_DATA_DIR = "var"
DEFAULT_SMTP_FROM = "noreply@canal-events.local"
DEFAULT_REGISTRATION_LIMIT_PER_IP = "120/minute"
DEFAULT_REGISTRATION_LIMIT_PER_PHONE = "10/hour"
DEFAULT_S3_REGION = "us-east-1"
# Set only by `events serve` for its workers (`hand_to_workers`), not by operators.
SERVED_AT = "EVENTS_SERVED_AT"

_ON = {"1", "on", "true", "yes"}
_OFF = {"0", "off", "false", "no"}
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")  # S3's rule for bucket names
_REGION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


class SettingsError(ValueError):
    """A variable has a value the application cannot use (the message names it)."""


@dataclass(frozen=True)
class Settings:
    database_url: str  # EVENTS_DATABASE_URL
    secret_key: str  # EVENTS_SECRET_KEY, else generated once into data_dir/secret_key
    base_url: str | None  # EVENTS_BASE_URL, without a trailing slash
    smtp_url: str | None  # EVENTS_SMTP_URL; None: e-mails are logged
    smtp_from: str  # EVENTS_SMTP_FROM
    sms_backend: str  # EVENTS_SMS_BACKEND: `console` or `package.module:ClassName`
    sender: bool  # EVENTS_SENDER: False stops this process delivering queued messages
    registration_limit_per_ip: RateLimitItem  # EVENTS_REGISTRATION_LIMIT_PER_IP
    registration_limit_per_phone: RateLimitItem  # EVENTS_REGISTRATION_LIMIT_PER_PHONE
    data_dir: Path  # EVENTS_DATA_DIR
    served_at: str | None  # EVENTS_SERVED_AT: the address `events serve` listens on
    # EVENTS_STORAGE_URL, where uploaded files go: None, a folder `media` in data_dir;
    # `file:///an/absolute/folder`; `s3://bucket/optional/prefix`, an S3-compatible store
    storage_url: str | None
    s3_endpoint_url: str | None  # EVENTS_S3_ENDPOINT_URL; None: AWS itself
    s3_access_key: str | None  # EVENTS_S3_ACCESS_KEY; None (with no secret): boto3 finds them
    s3_secret_key: str | None = field(repr=False)  # EVENTS_S3_SECRET_KEY
    s3_region: str  # EVENTS_S3_REGION

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgres://", "postgresql://"))


def _value(environ: Mapping[str, str], name: str) -> str | None:
    """The variable's value, stripped; None when unset or empty."""
    value = (environ.get(name) or "").strip()
    return value or None


def _limit(environ: Mapping[str, str], name: str, default: str) -> RateLimitItem:
    text = _value(environ, name) or default
    try:
        return parse(text)
    except ValueError:
        raise SettingsError(
            f"{name} must be a rate limit such as 10/hour or 120 per minute (got {text!r})"
        ) from None


def _switch(environ: Mapping[str, str], name: str, default: bool) -> bool:
    text = _value(environ, name)
    if text is None:
        return default
    if text.lower() in _ON | _OFF:
        return text.lower() in _ON
    raise SettingsError(f"{name} must be on or off (got {text!r})")


def _base_url(environ: Mapping[str, str]) -> str | None:
    url = _value(environ, "EVENTS_BASE_URL")
    if url and not url.startswith(("http://", "https://")):
        raise SettingsError(f"EVENTS_BASE_URL must start with http:// or https:// (got {url!r})")
    return url.rstrip("/") if url else None


def _sms_backend(environ: Mapping[str, str]) -> str:
    name = _value(environ, "EVENTS_SMS_BACKEND") or "console"
    module, _, attribute = name.partition(":")
    if name != "console" and not (module and attribute):
        raise SettingsError(
            f"EVENTS_SMS_BACKEND must be `console` or `package.module:ClassName` (got {name!r})"
        )
    return name


def _storage_url(environ: Mapping[str, str]) -> str | None:
    """`file:///folder` or `s3://bucket/prefix`, normalised: no empty segments, no trailing
    slash, the path percent-quoted (so that `unquote(urlsplit(url).path)` gives it back)."""
    url = _value(environ, "EVENTS_STORAGE_URL")
    if url is None:
        return None
    expected = (
        "EVENTS_STORAGE_URL must be file:///an/absolute/folder or s3://bucket/optional/prefix"
    )
    parts = urlsplit(url)
    if "@" in parts.netloc:  # not echoed: it would hold a key
        raise SettingsError(f"{expected}; keys go in EVENTS_S3_ACCESS_KEY and EVENTS_S3_SECRET_KEY")
    path = unquote(parts.path)
    segments = [segment for segment in path.split("/") if segment]
    plain = not (
        parts.query
        or parts.fragment
        or {".", ".."} & set(segments)
        or any(ord(character) < 32 or character == "\\" for character in path)
    )
    if plain and parts.scheme == "file" and parts.netloc in ("", "localhost") and segments:
        return "file:///" + quote("/".join(segments))
    if plain and parts.scheme == "s3" and _BUCKET.match(parts.netloc):
        return "/".join([f"s3://{parts.netloc}", *(quote(segment) for segment in segments)])
    raise SettingsError(f"{expected} (got {url!r})")


def _s3_endpoint_url(environ: Mapping[str, str]) -> str | None:
    url = _value(environ, "EVENTS_S3_ENDPOINT_URL")
    if url and not (url.startswith(("http://", "https://")) and urlsplit(url).netloc):
        raise SettingsError(
            f"EVENTS_S3_ENDPOINT_URL must start with http:// or https:// (got {url!r})"
        )
    return url.rstrip("/") if url else None


def _s3_keys(environ: Mapping[str, str]) -> tuple[str | None, str | None]:
    access, secret = (
        _value(environ, "EVENTS_S3_ACCESS_KEY"),
        _value(environ, "EVENTS_S3_SECRET_KEY"),
    )
    if (access is None) != (secret is None):
        missing = "EVENTS_S3_SECRET_KEY" if secret is None else "EVENTS_S3_ACCESS_KEY"
        raise SettingsError(
            f"{missing} must be set as well: the S3 access key and secret key go together"
        )
    return access, secret


def _s3_region(environ: Mapping[str, str]) -> str:
    region = _value(environ, "EVENTS_S3_REGION") or DEFAULT_S3_REGION
    if not _REGION.match(region):
        raise SettingsError(
            f"EVENTS_S3_REGION must be a region name such as us-east-1 (got {region!r})"
        )
    return region


def _secret_key(environ: Mapping[str, str], data_dir: Path) -> str:
    key = _value(environ, "EVENTS_SECRET_KEY")
    if key:
        return key
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # Created with 0600 so that only the service's user reads it.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def read_settings(environ: Mapping[str, str]) -> Settings:
    """Settings from these variables (raises SettingsError, naming the variable, on a bad one).

    Without EVENTS_SECRET_KEY the key is read from (or generated into) data_dir/secret_key.
    """
    data_dir = Path(_value(environ, "EVENTS_DATA_DIR") or DEFAULT_DATA_DIR)
    s3_access_key, s3_secret_key = _s3_keys(environ)
    return Settings(
        database_url=_value(environ, "EVENTS_DATABASE_URL") or DEFAULT_DATABASE_URL,
        secret_key=_secret_key(environ, data_dir),
        base_url=_base_url(environ),
        smtp_url=_value(environ, "EVENTS_SMTP_URL"),
        smtp_from=_value(environ, "EVENTS_SMTP_FROM") or DEFAULT_SMTP_FROM,
        sms_backend=_sms_backend(environ),
        sender=_switch(environ, "EVENTS_SENDER", default=True),
        registration_limit_per_ip=_limit(
            environ, "EVENTS_REGISTRATION_LIMIT_PER_IP", DEFAULT_REGISTRATION_LIMIT_PER_IP
        ),
        registration_limit_per_phone=_limit(
            environ, "EVENTS_REGISTRATION_LIMIT_PER_PHONE", DEFAULT_REGISTRATION_LIMIT_PER_PHONE
        ),
        data_dir=data_dir,
        served_at=_value(environ, SERVED_AT),
        storage_url=_storage_url(environ),
        s3_endpoint_url=_s3_endpoint_url(environ),
        s3_access_key=s3_access_key,
        s3_secret_key=s3_secret_key,
        s3_region=_s3_region(environ),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """This process's settings, read from the environment on first use."""
    return read_settings(os.environ)


def hand_to_workers(*, served_at: str) -> None:
    """Pass what `events serve` worked out to its worker processes: the only environment write.

    `uvicorn --workers N` starts every worker as a new interpreter (multiprocessing "spawn")
    that imports `web.app:create_app` by name; the factory takes no arguments and uvicorn
    offers no way to give it any (its `env_file` option only loads a file into this same
    environment). What a child does inherit is the environment, so the value goes there and
    each worker reads it back as `Settings.served_at` like any other variable. This process's
    settings are re-read as well: with one worker uvicorn serves from this very process.
    """
    os.environ[SERVED_AT] = served_at
    get_settings.cache_clear()
