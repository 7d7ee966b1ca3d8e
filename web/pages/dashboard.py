"""The organizers' statistics: the yearly dashboard, the goal editor, one event's report and
the spreadsheets behind them (page-session twins of the API's exports).

Figures come from `events.reporting.stats` (grouped SQL); charts are SVG drawn here by `web.charts`.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, QueryParameter
from litestar.response import Redirect, Stream, Template

from events.core import numbers
from events.core.errors import Invalid
from events.core.i18n import N_
from events.core.i18n import gettext as _
from events.core.kinds import KINDS, STREETS
from events.core.timeutil import local, today
from events.door.checkin import event_for_door
from events.reporting import annual_report, breakdowns, exports, stats
from web import charts
from web.downloads import XLSX, download, spreadsheet
from web.guards import admin_only, organizer_or_admin

FormData = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
Year = Annotated[int | None, QueryParameter(ge=stats.MIN_YEAR, le=stats.MAX_YEAR)]
TOP_EVENTS = 10
UNMASKED_FORMATS = {"xlsx": "Excel", "csv": "CSV"}
STATUS_CLASSES = {"reached": "ok", "on_track": "soon", "at_risk": "wait"}


def _page(request: Request, template: str, status_code: int = 200, **context: Any) -> Template:
    context.setdefault("notice", None)
    return Template(
        template_name=f"manage/{template}",
        context={"user": request.user, "path": request.url.path, **context},
        status_code=status_code,
    )


def _year(year: int | None) -> int:
    return stats.check_year(year if year is not None else today().year)


def _year_options(year: int) -> list[int]:
    current = today().year
    years = set(range(current - 4, current + 2)) | {year}
    return sorted(years, reverse=True)


def _share(part: int | None, whole: int | None) -> float | None:
    return part / whole if whole else None


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def goal_view(goal: dict) -> dict:
    """A goal with what its bar needs: positions (in %) on a scale that fits all three."""
    scale = max(goal["target"], goal["actual"], goal["projected"], 1)
    return {
        **goal,
        "status_label": annual_report.status_label(goal["status"]),
        "status_class": STATUS_CLASSES.get(goal["status"], "off"),
        "actual_pct": round(100 * goal["actual"] / scale, 1),
        "projected_pct": round(100 * goal["projected"] / scale, 1),
        "target_pct": round(100 * goal["target"] / scale, 1),
        "done_share": percent(_share(goal["actual"], goal["target"])),
    }


CONTEST_NOTES = {
    "entries": N_("不含撤回和未通过审核的"),
    "selected": N_("只算已公布结果的比赛"),
}


def contest_tiles(row: dict, goals: list[dict], filtered: bool) -> list[dict]:
    """The contest section's two figures (entries received, selected) with their projection;
    against the year's goal where one is set (goals are district-wide: not when filtered)."""
    by_metric = {goal["metric"]: goal for goal in goals}
    tiles = []
    for measure in stats.CONTEST_MEASURES:
        metric = f"{measure}.contest"
        tile = {
            "metric": metric,
            "id": "c-" + measure,
            "label": _(stats.MEASURE_LABELS[measure]),
            "note": _(CONTEST_NOTES[measure]),
            "actual": row[measure],
            "projected": row[f"{measure}_projected"],
            "goal": None,
        }
        goal = by_metric.get(metric)
        if goal and not filtered:
            tile["goal"] = goal_view(goal)
        tiles.append(tile)
    return tiles


def kind_rows(per_kind: dict[str, dict]) -> list[dict]:
    """Per kind with anything held or scheduled: figures and the two rates."""
    rows = []
    for kind in KINDS:
        row = per_kind.get(kind)
        if not row or not (row["held"] or row["scheduled"] or row["registrations"]):
            continue
        rows.append({"kind": kind, **row, **rates_text(row)})
    return rows


def rates_text(row: dict) -> dict:
    rates = breakdowns.rates(row)
    return {
        "conversion": percent(rates["conversion"]),
        "no_show": percent(rates["no_show"]),
    }


def with_bars(rows: list[dict], key: str = "attendance") -> list[dict]:
    top = max((row[key] for row in rows), default=0) or 1
    return [
        {
            **row,
            "bar": round(100 * row[key] / top, 1),
            "conversion": percent(_share(row["attendance"], row["confirmed"])),
        }
        for row in rows
    ]


class DashboardController(Controller):
    path = "/manage"
    guards = [organizer_or_admin]
    include_in_schema = False

    @get("/stats", name="manage_stats")
    async def dashboard(
        self,
        request: Request,
        year: Year = None,
        kind: Annotated[str | None, QueryParameter(max_length=32)] = None,
        street: Annotated[str | None, QueryParameter(max_length=64)] = None,
    ) -> Template:
        year = _year(year)
        kind = kind if kind in KINDS else None
        street = (street or "").strip() or None
        where = {"street": street, "kind": kind}
        raw_goals = (await stats.get_goals(year))["goals"]
        goals = [goal_view(goal) for goal in raw_goals]
        per_kind = await stats.figures(year, **where)
        total = per_kind["all"]
        contest = per_kind["contest"]
        monthly = await breakdowns.monthly(year, **where)
        shown_kinds = [kind] if kind else list(KINDS)
        streets = list(STREETS)
        if street and street not in streets:
            streets.insert(0, street)
        filters = {"year": year, "kind": kind, "street": street}
        query = urlencode({key: value for key, value in filters.items() if value})
        return _page(
            request,
            "stats_dashboard.html",
            year=year,
            filters=filters,
            filtered=bool(kind or street),
            query=query,
            years=_year_options(year),
            kinds=KINDS,
            streets=streets,
            goals=goals,
            total=total,
            total_rates=rates_text(total),
            kind_rows=kind_rows(per_kind),
            contest=contest,
            contest_tiles=contest_tiles(contest, raw_goals, bool(kind or street)),
            show_contests=bool(contest["contests"])
            or any(goal["measure"] in stats.CONTEST_MEASURES for goal in raw_goals),
            sessions_chart=charts.month_bars(
                monthly, "sessions", _("{year} 年每月举办场次").format(year=year), _("场")
            ),
            attendance_chart=charts.month_bars(
                monthly, "attendance", _("{year} 年每月签到人数").format(year=year), _("人")
            ),
            monthly_table=_monthly_table(monthly, shown_kinds),
            shown_kinds=shown_kinds,
            colours={k: charts.kind_colour(k) for k in KINDS},
            by_street=with_bars(await breakdowns.breakdown(year, by="street", **where)),
            by_organizer=with_bars(await breakdowns.breakdown(year, by="organizer", **where)),
            by_series=with_bars(await breakdowns.breakdown(year, by="series", **where)),
            top=[
                {**row, "conversion": percent(_share(row["attendance"], row["confirmed"]))}
                for row in await breakdowns.top_events(year, TOP_EVENTS, **where)
            ],
            days_left=breakdowns.days_left(year),
            current=year == today().year,
        )

    @get("/goals", name="manage_goals")
    async def goals(self, request: Request, year: Year = None) -> Template:
        year = _year(year)
        current = {goal["metric"]: str(goal["target"]) for goal in await _goals(year)}
        notice = _("目标已保存") if request.query_params.get("done") == "goals" else None
        return await _goal_form(request, year, current, {}, notice=notice)

    @post("/goals", name="manage_goals_save")
    async def save_goals(
        self, request: Request, data: FormData, year: Year = None
    ) -> Template | Redirect:
        year = _year(year)
        # A metric the form did not send (a cut-off or hand-made POST) keeps its goal; only a
        # field sent empty removes one. A POST with none of the fields changes nothing.
        current = {goal["metric"]: str(goal["target"]) for goal in await _goals(year)}
        sent = {metric for metric in stats.all_metrics() if f"t.{metric}" in data}
        values = {
            metric: (data.get(f"t.{metric}") or "").strip()
            if metric in sent
            else current.get(metric, "")
            for metric in stats.all_metrics()
        }
        errors: dict[str, str] = {}
        if not sent:
            errors["_form"] = _("表单内容不完整，请刷新页面后重新填写")
            return await _goal_form(request, year, values, errors, status_code=422)
        chosen: list[tuple[str, Any]] = []
        for metric, text in values.items():
            if not text:
                continue
            try:
                chosen.append((metric, int(text.replace(",", ""))))
            except ValueError:
                errors[metric] = _("请输入整数，或留空表示不设目标")
        if not errors:
            try:
                await stats.set_goals(
                    year,
                    [{"metric": metric, "target": target} for metric, target in chosen],
                    request.user,
                )
            except Invalid as error:
                errors = _goal_errors(error, [metric for metric, _target in chosen])
            else:
                return Redirect(path=f"/manage/goals?year={year}&done=goals", status_code=303)
        return await _goal_form(request, year, values, errors, status_code=422)

    @get("/stats/events/{event_id:int}", name="manage_stats_event")
    async def event_report(self, request: Request, event_id: FromPath[int]) -> Template:
        return await _report_page(request, event_id)

    @post(
        "/stats/events/{event_id:int}/unmasked",
        name="manage_registrations_unmasked",
        guards=[admin_only],
        status_code=200,
        opt={"no_compress": True},
    )
    async def unmasked(
        self, request: Request, event_id: FromPath[int], data: FormData
    ) -> Stream | Template:
        """The registrant list with full phone numbers (admins): a reason, audited like the
        API's `?unmasked=true&reason=…`."""
        event = await event_for_door(event_id)
        kind = data.get("format") if data.get("format") in UNMASKED_FORMATS else "xlsx"
        try:
            await exports.record_unmasked(request.user, event_id, data.get("reason"), kind)
        except Invalid as error:
            form = {"reason": data.get("reason") or "", "format": kind, "error": error.detail}
            return await _report_page(request, event_id, unmasked=form, status_code=422)
        stem, columns, rows = await exports.registrant_export(event, unmasked=True)
        return await spreadsheet(kind, stem, columns, rows, _("报名名单"))

    @get("/stats/annual.xlsx", name="manage_stats_annual", opt={"no_compress": True})
    async def annual(self, year: Year = None) -> Stream:
        year = _year(year)
        path = await annual_report.workbook(year)
        return download(exports.file_stream(path), XLSX, f"{annual_report.filename(year)}.xlsx")

    @get(
        ["/stats/attendance.xlsx", "/stats/attendance.csv"],
        name="manage_stats_attendance",
        opt={"no_compress": True},
    )
    async def attendance(self, request: Request, year: Year = None) -> Stream:
        stem, columns, rows = await exports.attendance_export(_year(year))
        return await spreadsheet(
            request.url.path.rsplit(".", 1)[1], stem, columns, rows, _("活动签到统计")
        )

    @get(
        [
            "/events/{event_id:int}/registrations.xlsx",
            "/events/{event_id:int}/registrations.csv",
        ],
        name="manage_registrations_export",
        opt={"no_compress": True},
    )
    async def registrants(self, request: Request, event_id: FromPath[int]) -> Stream:
        event = await event_for_door(event_id)
        stem, columns, rows = await exports.registrant_export(event)
        return await spreadsheet(
            request.url.path.rsplit(".", 1)[1], stem, columns, rows, _("报名名单")
        )


async def _report_page(
    request: Request, event_id: int, unmasked: dict | None = None, status_code: int = 200
) -> Template:
    """One event's report; `unmasked`: the admin's export form as typed (with its error)."""
    report = await breakdowns.event_report(event_id)
    counts = report["counts"]
    days = charts.fill_days(report["per_day"], "people")
    minutes = charts.fill_minutes(report["arrivals"], "people")
    event = report["event"]
    ended = report["no_shows"]["ended"]
    return _page(
        request,
        "stats_event.html",
        status_code=status_code,
        event=event,
        report=report,
        counts=counts,
        ended=ended,
        # Rates only mean something once the event is over: before, "—".
        conversion=percent(_share(counts["checked_in_people"], counts["confirmed_people"]))
        if ended
        else "—",
        no_show_rate=percent(_share(report["no_shows"]["people"], counts["confirmed_people"]))
        if ended
        else "—",
        days_chart=charts.column_chart(days, _("每天报名人数"), _("人")) if days else None,
        arrivals_chart=charts.column_chart(minutes, _("每分钟签到人数"), _("人"), colour="#d55e00")
        if minutes
        else None,
        year=local(event["starts_at"]).year,
        unmasked=unmasked or {"reason": "", "format": "xlsx", "error": None},
        unmasked_formats=UNMASKED_FORMATS,
    )


async def _goals(year: int) -> list[dict]:
    return (await stats.get_goals(year))["goals"]


def _goal_errors(error: Invalid, metrics: list[str]) -> dict[str, str]:
    """`goals.3.target` → the metric of the 4th goal sent; anything else → the form."""
    errors: dict[str, str] = {}
    for key, message in (error.fields or {}).items():
        parts = key.split(".")
        index = numbers.whole(parts[1]) if len(parts) >= 2 and parts[0] == "goals" else None
        if index is not None:
            if index < len(metrics):
                errors[metrics[index]] = message
                continue
        errors["_form"] = message
    return errors or {"_form": error.detail}


async def _goal_form(
    request: Request,
    year: int,
    values: dict[str, str],
    errors: dict[str, str],
    notice: str | None = None,
    status_code: int = 200,
) -> Template:
    per_kind = await stats.figures(year)
    groups = []
    for kind in stats.KIND_CHOICES:
        fields = []
        for measure in stats.measures_for(kind):
            metric = f"{measure}.{kind}"
            fields.append(
                {
                    "metric": metric,
                    "id": "g-" + metric.replace(".", "-"),
                    "label": _(stats.MEASURE_LABELS[measure]),
                    "full_label": stats.metric_label(metric),
                    "value": values.get(metric, ""),
                    "error": errors.get(metric),
                    "actual": stats.actual(measure, per_kind[kind]),
                }
            )
        groups.append(
            {
                "kind": kind,
                "title": _("全部活动") if kind == "all" else _(KINDS[kind]),
                "fields": fields,
            }
        )
    return _page(
        request,
        "stats_goals.html",
        status_code=status_code,
        year=year,
        years=_year_options(year),
        groups=groups,
        errors=errors,
        error_count=len(errors),
        notice=notice,
    )


def _monthly_table(rows: list[dict], kinds: list[str]) -> list[dict]:
    """Twelve rows: per kind sessions/attendance, and the month's totals."""
    table = []
    for month in range(1, 13):
        cells = {kind: {"sessions": 0, "attendance": 0} for kind in kinds}
        for row in rows:
            if row["month"] == month and row["kind"] in cells:
                cells[row["kind"]] = {"sessions": row["sessions"], "attendance": row["attendance"]}
        table.append(
            {
                "month": month,
                "cells": cells,
                "sessions": sum(cell["sessions"] for cell in cells.values()),
                "attendance": sum(cell["attendance"] for cell in cells.values()),
            }
        )
    return table
