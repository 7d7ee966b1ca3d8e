"""Yearly goals and the figures they are judged on, computed by grouped SQL queries.

Metrics (the contract): `sessions.<kind>` — events of that kind held in the year (ended and
not cancelled); `attendance.<kind>` — people checked in at those events (party sizes);
`registrations.<kind>` — confirmed people at the year's events of that kind, held or
upcoming. `<kind>` may be `all`. A year is the calendar year in Asia/Shanghai, by the
event's start. Drafts never count. The figures are sums over the year's event rows: each
event keeps `confirmed` and `checked_in` (people) in step with its registrations (the
registering, cancelling, promoting, moving and checking-in statements update them), so no
query reads the registrations themselves.

Projection to the year's end (explained on the dashboard too):
- what is already scheduled counts as it stands: published events of the year not yet ended
  add their sessions; for attendance, their confirmed people times the share of confirmed
  people who came to the kind's held events this year (or 100% when none was held yet);
- after the last scheduled event, the pace so far (per day since 1 January) continues to
  31 December;
- never below the actual figure; a past year's projection is its actual.
Status: `reached` (actual ≥ target), `on_track` (projected ≥ target), `at_risk`.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from events.core.db import write_transaction
from events.core.errors import Invalid
from events.core.i18n import gettext as _
from events.core.kinds import KINDS
from events.core.timeutil import MAX_YEAR, MIN_YEAR, TZ, now
from events.tables import Event, Goal

MEASURES = ("sessions", "attendance", "registrations")
MEASURE_LABELS = {
    "sessions": "举办场次",
    "attendance": "签到人数",
    "registrations": "报名人数",
}
KIND_CHOICES = ("all", *KINDS)
METRIC = re.compile(r"^(sessions|attendance|registrations)\.([a-z_]+)$")
MAX_TARGET = 10_000_000


def check_year(year: Any) -> int:
    if type(year) is not int or not MIN_YEAR <= year <= MAX_YEAR:
        message = _("年份应在 {low} 到 {high} 之间").format(low=MIN_YEAR, high=MAX_YEAR)
        raise Invalid(message, {"year": message})
    return year


def parse_metric(metric: Any) -> tuple[str, str]:
    match = METRIC.match(metric) if isinstance(metric, str) else None
    if match is None or match.group(2) not in KIND_CHOICES:
        message = _("未知的指标：{metric}").format(metric=str(metric)[:64])
        raise Invalid(message, {"metric": message})
    return match.group(1), match.group(2)


def metric_label(metric: str) -> str:
    measure, kind = parse_metric(metric)
    what = _("全部活动") if kind == "all" else _(KINDS[kind])
    return f"{what} · {_(MEASURE_LABELS[measure])}"


def all_metrics() -> list[str]:
    return [f"{measure}.{kind}" for kind in KIND_CHOICES for measure in MEASURES]


def year_bounds(year: int) -> tuple[datetime, datetime]:
    return datetime(year, 1, 1, tzinfo=TZ), datetime(year + 1, 1, 1, tzinfo=TZ)


async def figures(year: int, moment: datetime | None = None, **where: Any) -> dict[str, dict]:
    """Per kind (and "all"): actual sessions, attendance and registrations, plus what the
    projection needs. One grouped query over the year's event rows, whose counters
    (`confirmed`, `checked_in`: people) the workflows keep in step with the registrations;
    `where` narrows by `street` and/or `kind`."""
    moment = moment or now()
    start, end = year_bounds(year)
    extra, args = _filters(where)
    rows = await Event.raw(
        "SELECT kind,"
        " SUM(CASE WHEN ends_at <= {} THEN 1 ELSE 0 END) AS held,"
        " SUM(CASE WHEN ends_at > {} THEN 1 ELSE 0 END) AS scheduled,"
        " MAX(CASE WHEN ends_at > {} THEN starts_at END) AS last_scheduled,"
        " SUM(CASE WHEN ends_at <= {} THEN checked_in ELSE 0 END) AS attendance,"
        " SUM(CASE WHEN ends_at <= {} THEN confirmed ELSE 0 END) AS held_confirmed,"
        " SUM(CASE WHEN ends_at > {} THEN confirmed ELSE 0 END) AS scheduled_confirmed,"
        " SUM(confirmed) AS registrations"
        " FROM event WHERE status = 'published' AND starts_at >= {} AND starts_at < {}"
        + extra
        + " GROUP BY kind",
        *([moment] * 6),
        start,
        end,
        *args,
    )
    zero = {
        "held": 0,
        "scheduled": 0,
        "last_scheduled": None,
        "attendance": 0,
        "held_confirmed": 0,
        "scheduled_confirmed": 0,
        "registrations": 0,
    }
    result: dict[str, dict] = {kind: dict(zero) for kind in KIND_CHOICES}
    for row in rows:
        target = result.setdefault(row["kind"], dict(zero))
        for key in zero:
            if key == "last_scheduled":
                target[key] = _aware(row[key])
            else:
                target[key] = int(row[key] or 0)
    total = result["all"]
    for kind, row in result.items():
        if kind == "all":
            continue
        for key in zero:
            if key == "last_scheduled":
                if row[key] and (total[key] is None or row[key] > total[key]):
                    total[key] = row[key]
            else:
                total[key] += row[key]
    return result


def _filters(where: dict[str, Any]) -> tuple[str, list]:
    sql, args = "", []
    if where.get("street"):
        sql += " AND street = {}"
        args.append(where["street"])
    if where.get("kind") and where["kind"] != "all":
        sql += " AND kind = {}"
        args.append(where["kind"])
    return sql, args


def _aware(value):
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def actual(measure: str, row: dict) -> int:
    return {
        "sessions": row["held"],
        "attendance": row["attendance"],
        "registrations": row["registrations"],
    }[measure]


def project(measure: str, row: dict, year: int, moment: datetime) -> int:
    """Expected year-end figure (see the module's docstring)."""
    start, end = year_bounds(year)
    value = actual(measure, row)
    if moment >= end:
        return value
    scheduled = 0.0
    if measure == "sessions":
        scheduled = row["scheduled"]
    elif measure == "attendance":
        rate = row["attendance"] / row["held_confirmed"] if row["held_confirmed"] else 1.0
        scheduled = row["scheduled_confirmed"] * rate
    elapsed_days = max((moment - start).total_seconds() / 86400, 0.0)
    horizon = max(moment, row["last_scheduled"] or moment)
    remaining_days = max((end - horizon).total_seconds() / 86400, 0.0)
    held_so_far = {
        "sessions": row["held"],
        "attendance": row["attendance"],
        "registrations": row["held_confirmed"],
    }[measure]
    pace = held_so_far / elapsed_days if elapsed_days >= 14 else 0.0
    return max(value, round(value + scheduled + pace * remaining_days))


def status(actual_value: int, projected: int, target: int) -> str:
    if actual_value >= target:
        return "reached"
    return "on_track" if projected >= target else "at_risk"


async def get_goals(year: int, moment: datetime | None = None) -> dict:
    """The contract's goals object, plus a status and the kind/measure per goal."""
    check_year(year)
    moment = moment or now()
    rows = await Goal.select(Goal.metric, Goal.target).where(Goal.year == year).order_by(Goal.id)
    per_kind = await figures(year, moment)
    goals = []
    for row in rows:
        measure, kind = parse_metric(row["metric"])
        numbers = per_kind.get(kind)
        value = actual(measure, numbers)
        projected = project(measure, numbers, year, moment)
        goals.append(
            {
                "metric": row["metric"],
                "label": metric_label(row["metric"]),
                "target": row["target"],
                "actual": value,
                "projected": projected,
                "status": status(value, projected, row["target"]),
                "measure": measure,
                "kind": kind,
            }
        )
    return {"year": year, "goals": goals}


def clean_goals(raw: Any) -> list[tuple[str, int]]:
    """[(metric, target)] from the contract's `goals` list; `Invalid` per item."""
    if not isinstance(raw, list) or len(raw) > len(all_metrics()):
        raise Invalid(_("goals 应为列表"), {"goals": _("goals 应为列表")})
    clean: dict[str, int] = {}
    errors: dict[str, str] = {}
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            errors[f"goals.{index}"] = _("每个目标应包含 metric 和 target")
            continue
        try:
            measure, kind = parse_metric(item.get("metric"))
        except Invalid as error:
            errors[f"goals.{index}.metric"] = error.detail
            continue
        target = item.get("target")
        if type(target) is not int or target < 0:
            errors[f"goals.{index}.target"] = _("目标应为不小于 0 的整数")
            continue
        if target > MAX_TARGET:
            errors[f"goals.{index}.target"] = _("目标不能超过 {n}").format(n=f"{MAX_TARGET:,}")
            continue
        metric = f"{measure}.{kind}"
        if metric in clean:
            errors[f"goals.{index}.metric"] = _("同一指标只能设一个目标")
            continue
        clean[metric] = target
    if errors:
        first = next(iter(errors.items()))
        raise Invalid(f"{first[0]}: {first[1]}", errors)
    return list(clean.items())


async def set_goals(year: int, raw: Any, actor: dict | None) -> dict:
    """Replace the year's goals (the contract's PUT); audited."""
    from events.accounts import audit

    check_year(year)
    clean = clean_goals(raw)
    async with write_transaction():
        before = await Goal.select(Goal.metric, Goal.target).where(Goal.year == year)
        await Goal.delete().where(Goal.year == year)
        moment = now()
        if clean:
            await Goal.insert(
                *(
                    Goal(year=year, metric=metric, target=target, updated_at=moment)
                    for metric, target in clean
                )
            )
        await audit.record(
            actor,
            "goals.set",
            "goals",
            year,
            before={row["metric"]: row["target"] for row in before},
            after=dict(clean),
        )
    return await get_goals(year)


async def monthly(year: int, **where: Any) -> list[dict]:
    """Per month and kind: sessions held and people checked in (grouped in SQL)."""
    start, end = year_bounds(year)
    moment = now()
    extra, args = _filters(where)
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
    extra, args = _filters(where)
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
    extra, args = _filters(where)
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
