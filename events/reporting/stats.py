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

Contest metrics (drawing contests: events of kind `contest` with a contest configuration, of
the year by the contest event's start, published events only):
- `entries.contest` — entries received: every entry of the year's contests that is neither
  withdrawn (the guardian took it back) nor rejected (moderation refused it). An entry
  counts from its submission on, whatever happens to it in judging.
- `selected.contest` — entries selected at the year's contests whose results are published
  (before publication nothing is selected).
Entries exist only at contests, so these two are named with the kind `contest` only:
`entries.all`, `selected.all` (or any other kind) are unknown metrics, refused with 422 like
any other, so that one figure never has two goals.
Their projection follows each contest's own window, not the calendar:
- entries: a contest past its close adds nothing more; a contest not yet open adds nothing
  (nothing is known of it yet); a contest open now adds its pace so far — entries received
  per day since it opened (counted as at least one day) — times the days left to its close;
- selected: a published contest counts what was selected; an unpublished one the contest's
  rule applied to its (projected) entries per group: floor(share × n + 0.5), or the group's
  quota where one is set, at most n;
- never below the actual figure. The queries: one over the year's contests, one over their
  entries grouped by contest and group (no row-by-row work over the entries).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from events.contests.ranking import quota
from events.core.db import write_transaction
from events.core.errors import Invalid
from events.core.i18n import N_
from events.core.i18n import gettext as _
from events.core.kinds import KINDS
from events.core.timeutil import MAX_YEAR, MIN_YEAR, TZ, now
from events.tables import Event, Goal

EVENT_MEASURES = ("sessions", "attendance", "registrations")
CONTEST_MEASURES = ("entries", "selected")
MEASURES = (*EVENT_MEASURES, *CONTEST_MEASURES)
MEASURE_LABELS = {
    "sessions": N_("举办场次"),
    "attendance": N_("签到人数"),
    "registrations": N_("报名人数"),
    "entries": N_("征集作品"),
    "selected": N_("入选作品"),
}
KIND_CHOICES = ("all", *KINDS)
# The kinds a measure may be named with: entries exist only at contests.
MEASURE_KINDS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(EVENT_MEASURES, KIND_CHOICES),
    **dict.fromkeys(CONTEST_MEASURES, ("contest",)),
}
METRIC = re.compile(r"^(" + "|".join(MEASURES) + r")\.([a-z_]+)$")
MAX_TARGET = 10_000_000
MIN_PACE_DAYS = 1.0  # an open contest's pace: entries per day, over at least one day


def check_year(year: Any) -> int:
    if type(year) is not int or not MIN_YEAR <= year <= MAX_YEAR:
        message = _("年份应在 {low} 到 {high} 之间").format(low=MIN_YEAR, high=MAX_YEAR)
        raise Invalid(message, {"year": message})
    return year


def parse_metric(metric: Any) -> tuple[str, str]:
    match = METRIC.match(metric) if isinstance(metric, str) else None
    if match is None or match.group(2) not in MEASURE_KINDS[match.group(1)]:
        message = _("未知的指标：{metric}").format(metric=str(metric)[:64])
        raise Invalid(message, {"metric": message})
    return match.group(1), match.group(2)


def metric_label(metric: str) -> str:
    measure, kind = parse_metric(metric)
    what = _("全部活动") if kind == "all" else _(KINDS[kind])
    return f"{what} · {_(MEASURE_LABELS[measure])}"


def measures_for(kind: str) -> list[str]:
    """The measures a goal may set for `kind` (`all` or an event kind)."""
    return [measure for measure in MEASURES if kind in MEASURE_KINDS[measure]]


def all_metrics() -> list[str]:
    return [f"{measure}.{kind}" for kind in KIND_CHOICES for measure in measures_for(kind)]


def year_bounds(year: int) -> tuple[datetime, datetime]:
    return datetime(year, 1, 1, tzinfo=TZ), datetime(year + 1, 1, 1, tzinfo=TZ)


async def figures(year: int, moment: datetime | None = None, **where: Any) -> dict[str, dict]:
    """Per kind (and "all"): actual sessions, attendance and registrations, plus what the
    projection needs. One grouped query over the year's event rows, whose counters
    (`confirmed`, `checked_in`: people) the workflows keep in step with the registrations;
    the `contest` row (and so `all`) also has the contest figures (`contest_figures`);
    `where` narrows by `street` and/or `kind`."""
    moment = moment or now()
    start, end = year_bounds(year)
    extra, args = event_filters(where)
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
        **CONTEST_ZERO,
    }
    result: dict[str, dict] = {kind: dict(zero) for kind in KIND_CHOICES}
    for row in rows:
        target = result.setdefault(row["kind"], dict(zero))
        for key in zero:
            if key == "last_scheduled":
                target[key] = _aware(row[key])
            elif key not in CONTEST_ZERO:
                target[key] = int(row[key] or 0)
    if where.get("kind") in (None, "all", "contest"):
        result["contest"].update(await contest_figures(year, moment, **where))
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


def event_filters(where: dict[str, Any], table: str = "") -> tuple[str, list]:
    """SQL narrowing the event rows by street and/or kind; `table` qualifies the columns
    (`"e."`) in a query that joins other tables."""
    sql, args = "", []
    if where.get("street"):
        sql += f" AND {table}street = {{}}"
        args.append(where["street"])
    if where.get("kind") and where["kind"] != "all":
        sql += f" AND {table}kind = {{}}"
        args.append(where["kind"])
    return sql, args


# What `figures` adds to a kind's row for the contest metrics (non-zero for `contest` only).
CONTEST_ZERO = {
    "contests": 0,  # contests of the year (with a configuration)
    "contests_open": 0,  # of them, taking entries now
    "contests_published": 0,  # of them, with results published
    "entries": 0,  # received: neither withdrawn nor rejected
    "selected": 0,  # selected at published contests
    "entries_projected": 0,
    "selected_projected": 0,
}


async def contest_figures(year: int, moment: datetime | None = None, **where: Any) -> dict:
    """The year's contests (by their event's start): entries received and selected, with the
    projections of the module's docstring. Two queries: the contests, and their entries
    counted per contest and group; `where` narrows by the event's street and/or kind."""
    moment = moment or now()
    start, end = year_bounds(year)
    extra, args = event_filters(where, "e.")
    scope = "e.status = 'published' AND e.starts_at >= {} AND e.starts_at < {}" + extra
    contests = await Event.raw(
        "SELECT c.id, c.submissions_open_at AS opens, c.submissions_close_at AS closes,"
        " c.published_at, c.selection_share, c.quotas"
        " FROM contest c JOIN event e ON e.id = c.event WHERE " + scope,
        start,
        end,
        *args,
    )
    figures = dict(CONTEST_ZERO)
    if not contests:
        return figures
    counts = await Event.raw(
        "SELECT en.contest, en.group_code,"
        " SUM(CASE WHEN en.status IN ('withdrawn', 'rejected') THEN 0 ELSE 1 END) AS received,"
        " SUM(CASE WHEN en.status = 'selected' AND c.published_at IS NOT NULL"
        " THEN 1 ELSE 0 END) AS selected"
        " FROM contest_entry en JOIN contest c ON c.id = en.contest"
        " JOIN event e ON e.id = c.event WHERE " + scope + " GROUP BY en.contest, en.group_code",
        start,
        end,
        *args,
    )
    per_group: dict[int, dict[str, tuple[int, int]]] = {}
    for row in counts:
        groups = per_group.setdefault(row["contest"], {})
        groups[row["group_code"]] = (int(row["received"] or 0), int(row["selected"] or 0))
    entries_projected = selected_projected = 0.0
    for contest in contests:
        groups = per_group.get(contest["id"], {})
        received = sum(n for n, _k in groups.values())
        selected = sum(k for _n, k in groups.values())
        opens, closes = _aware(contest["opens"]), _aware(contest["closes"])
        published = contest["published_at"] is not None
        factor = 1.0
        if opens <= moment < closes:
            figures["contests_open"] += 1
            elapsed = max((moment - opens).total_seconds() / 86400, MIN_PACE_DAYS)
            factor = 1 + (closes - moment).total_seconds() / 86400 / elapsed
        figures["contests"] += 1
        figures["entries"] += received
        figures["selected"] += selected
        entries_projected += received * factor
        if published:
            figures["contests_published"] += 1
            selected_projected += selected
            continue
        quotas = _loaded(contest["quotas"]) or {}
        share = float(contest["selection_share"])
        for code, (n, _k) in groups.items():
            expected = round(n * factor)
            chosen = quotas[code] if code in quotas else quota(share, expected)
            selected_projected += min(int(chosen), expected)
    figures["entries_projected"] = max(figures["entries"], round(entries_projected))
    figures["selected_projected"] = max(figures["selected"], round(selected_projected))
    return figures


def _loaded(value: Any) -> Any:
    """A JSON column as a raw query returns it: text on SQLite (and for PostgreSQL's json)."""
    if isinstance(value, str):
        return json.loads(value)
    return value


def _aware(value):
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def actual(measure: str, row: dict) -> int:
    return {
        "sessions": row["held"],
        "attendance": row["attendance"],
        "registrations": row["registrations"],
        "entries": row["entries"],
        "selected": row["selected"],
    }[measure]


def project(measure: str, row: dict, year: int, moment: datetime) -> int:
    """Expected year-end figure (see the module's docstring)."""
    start, end = year_bounds(year)
    value = actual(measure, row)
    if measure in CONTEST_MEASURES:  # by each contest's window, computed by contest_figures
        return max(value, row[f"{measure}_projected"])
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
