"""The dashboard's breakdowns of a year: by month, by street or series, the top events, and one
event's report (grouped SQL over the year's event rows and their registrations). The goals and
the figures they are judged on are `events.reporting.stats`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from events.core.timeutil import now
from events.reporting.stats import event_filters, year_bounds
from events.tables import Event


async def monthly(year: int, **where: Any) -> list[dict]:
    """Per month and kind: sessions held and people checked in (grouped in SQL)."""
    start, end = year_bounds(year)
    moment = now()
    extra, args = event_filters(where)
    # Months in Asia/Shanghai: shift UTC by 8 hours before taking the month (no DST there).
    month = _month_sql("starts_at")
    rows = await Event.raw(
        f"SELECT {month} AS month, kind, COUNT(*) AS sessions,"
        " COALESCE(SUM(checked_in), 0) AS attendance FROM event"
        " WHERE status = 'published' AND ends_at <= {} AND starts_at >= {} AND starts_at < {}"
        + extra
        + " GROUP BY 1, 2 ORDER BY 1, 2",
        moment,
        start,
        end,
        *args,
    )
    return [
        {
            "month": int(row["month"]),
            "kind": row["kind"],
            "sessions": int(row["sessions"]),
            "attendance": int(row["attendance"]),
        }
        for row in rows
    ]


def _month_sql(column: str) -> str:
    from events.core.db import is_sqlite

    if is_sqlite():
        # Piccolo stores timestamptz on SQLite as ISO text in UTC.
        return f"CAST(strftime('%m', datetime({column}, '+8 hours')) AS INTEGER)"
    return f"CAST(EXTRACT(MONTH FROM {column} AT TIME ZONE 'Asia/Shanghai') AS INTEGER)"


async def breakdown(year: int, by: str, **where: Any) -> list[dict]:
    """Held sessions, confirmed and checked-in people per street, organizer or series."""
    column = {"street": "street", "organizer": "organizer_unit", "series": "series"}[by]
    start, end = year_bounds(year)
    moment = now()
    extra, args = event_filters(where)
    rows = await Event.raw(
        f"SELECT {column} AS name, COUNT(*) AS sessions,"
        " COALESCE(SUM(confirmed), 0) AS confirmed, COALESCE(SUM(checked_in), 0) AS attendance"
        " FROM event WHERE status = 'published' AND ends_at <= {} AND starts_at >= {}"
        " AND starts_at < {}"
        + extra
        + f" GROUP BY {column} ORDER BY attendance DESC, sessions DESC",
        moment,
        start,
        end,
        *args,
    )
    return [
        {
            "name": row["name"] or "—",
            "sessions": int(row["sessions"]),
            "confirmed": int(row["confirmed"]),
            "attendance": int(row["attendance"]),
        }
        for row in rows
    ]


def rates(row: dict) -> dict:
    """No-show rate and registration-to-attendance conversion at held events."""
    confirmed = row["held_confirmed"]
    came = row["attendance"]
    return {
        "conversion": came / confirmed if confirmed else None,
        "no_show": (confirmed - came) / confirmed if confirmed else None,
    }


async def top_events(
    year: int, limit: int = 10, moment: datetime | None = None, **where: Any
) -> list[dict]:
    """The year's held events (published and ended by `moment`) with the most people
    checked in; events still to come are not ranked."""
    start, end = year_bounds(year)
    extra, args = event_filters(where)
    rows = await Event.raw(
        "SELECT id, title, kind, starts_at, capacity, confirmed, checked_in AS attendance"
        " FROM event WHERE status = 'published' AND ends_at <= {}"
        " AND starts_at >= {} AND starts_at < {}"
        + extra
        + " ORDER BY checked_in DESC, confirmed DESC, id LIMIT {}",
        moment or now(),
        start,
        end,
        *args,
        limit,
    )
    return rows


async def event_report(event_id: int) -> dict:
    """One event: registrations per day, arrivals per minute at the door, no-shows."""
    from events.door import checkin, door_report

    event = await checkin.event_for_door(event_id)
    day = _day_sql("created_at")
    per_day = await Event.raw(
        f"SELECT {day} AS day, COUNT(*) AS registrations, SUM(party_size) AS people"
        " FROM registration WHERE event = {} GROUP BY 1 ORDER BY 1",
        event_id,
    )
    minute = _minute_sql("checked_in_at")
    arrivals = await Event.raw(
        f"SELECT {minute} AS minute, COUNT(*) AS scans, SUM(party_size) AS people"
        " FROM registration WHERE event = {} AND status = 'confirmed'"
        " AND checked_in_at IS NOT NULL GROUP BY 1 ORDER BY 1",
        event_id,
    )
    return {
        "event": event,
        "per_day": [
            {
                "day": str(r["day"]),
                "registrations": int(r["registrations"]),
                "people": int(r["people"]),
            }
            for r in per_day
        ],
        "arrivals": [
            {"minute": str(r["minute"]), "scans": int(r["scans"]), "people": int(r["people"])}
            for r in arrivals
        ],
        "no_shows": await door_report.no_shows(event_id),
        "counts": await checkin.counts(event_id),
    }


def _day_sql(column: str) -> str:
    from events.core.db import is_sqlite

    if is_sqlite():
        return f"date({column}, '+8 hours')"
    return f"to_char({column} AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')"


def _minute_sql(column: str) -> str:
    from events.core.db import is_sqlite

    if is_sqlite():
        return f"strftime('%H:%M', datetime({column}, '+8 hours'))"
    return f"to_char({column} AT TIME ZONE 'Asia/Shanghai', 'HH24:MI')"


def days_left(year: int, moment: datetime | None = None) -> int:
    moment = moment or now()
    _start, end = year_bounds(year)
    return max(0, (end - moment) // timedelta(days=1))
