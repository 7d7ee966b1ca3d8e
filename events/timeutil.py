"""Times: the product's zone is Asia/Shanghai; a time without an offset is taken as Shanghai."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")


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
