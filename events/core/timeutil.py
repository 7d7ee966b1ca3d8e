"""Times: the product's zone is Asia/Shanghai; a time without an offset is taken as Shanghai."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")

# The years the product deals in: events, goals and filters outside them are refused (or, for
# a search filter, clamped), which also keeps every conversion clear of datetime's limits.
MIN_YEAR, MAX_YEAR = 2000, 2100


def in_years(value: datetime) -> bool:
    return MIN_YEAR <= value.year <= MAX_YEAR


def clamp_years(value: datetime) -> datetime:
    """A filter bound inside the product's years (the year as written, before any conversion)."""
    if value.year < MIN_YEAR:
        return datetime(MIN_YEAR, 1, 1, tzinfo=TZ)
    if value.year > MAX_YEAR:
        return datetime(MAX_YEAR, 12, 31, 23, 59, 59, tzinfo=TZ)
    return value


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def aware(value: datetime) -> datetime:
    """Attach Asia/Shanghai to a naive time; drop sub-second noise."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=TZ)
    return value.replace(microsecond=0)


def local(value: datetime) -> datetime:
    return aware(value).astimezone(TZ)


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with the +08:00 offset, as the contract shows."""
    if value is None:
        return None
    return local(value).isoformat()


def parse_local(text: str) -> datetime:
    """Parse an ISO time from a form (`2026-03-12T14:00`); naive means Shanghai."""
    return aware(datetime.fromisoformat(text.strip()))


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=TZ)


def today() -> date:
    return datetime.now(TZ).date()


def week_bounds(day: date) -> tuple[datetime, datetime]:
    start = day - timedelta(days=day.weekday())
    return day_start(start), day_start(start + timedelta(days=7))
