"""The annual report workbook's sheets, as (title, columns, rows) for `exports.xlsx_file`.

四张表: 目标完成情况 (goals against actual and projected figures), 活动明细 (one row per
event, the attendance export), 月度统计 (per month and kind), 街道统计 (per street). Rates
are fractions written with a percent format. No HTTP in here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from events.core.i18n import N_
from events.core.i18n import gettext as _
from events.core.kinds import KINDS
from events.reporting import breakdowns, exports, stats

STATUS_LABELS = {
    "reached": N_("已达成"),
    "on_track": N_("进度正常"),
    "at_risk": N_("有风险"),
}


def status_label(status: str) -> str:
    return _(STATUS_LABELS.get(status, status))


def _share(part: int | None, whole: int | None) -> float | None:
    return part / whole if whole else None


# --- 目标完成情况 ---------------------------------------------------------------------------


def goal_columns() -> list[tuple[str, int, str]]:
    return [
        (_("指标"), 28, "text"),
        (_("目标"), 10, "int"),
        (_("实际完成"), 10, "int"),
        (_("完成率"), 10, "percent"),
        (_("预计年底"), 10, "int"),
        (_("预计完成率"), 12, "percent"),
        (_("状态"), 10, "text"),
    ]


async def goal_rows(year: int) -> list[list[Any]]:
    goals = (await stats.get_goals(year))["goals"]
    return [
        [
            goal["label"],
            goal["target"],
            goal["actual"],
            _share(goal["actual"], goal["target"]),
            goal["projected"],
            _share(goal["projected"], goal["target"]),
            status_label(goal["status"]),
        ]
        for goal in goals
    ]


# --- 月度统计 -------------------------------------------------------------------------------


def monthly_columns() -> list[tuple[str, int, str]]:
    return [
        (_("月份"), 8, "text"),
        (_("类型"), 16, "text"),
        (_("举办场次"), 10, "int"),
        (_("签到人数"), 10, "int"),
    ]


async def monthly_rows(year: int) -> list[list[Any]]:
    """Per month: a row per kind that held something, then the month's total (合计)."""
    rows = await breakdowns.monthly(year)
    out: list[list[Any]] = []
    for month in range(1, 13):
        label = _("{month}月").format(month=month)
        these = [row for row in rows if row["month"] == month]
        order = list(KINDS)
        these.sort(key=lambda row: order.index(row["kind"]) if row["kind"] in order else 99)
        for row in these:
            out.append(
                [label, _(KINDS.get(row["kind"], row["kind"])), row["sessions"], row["attendance"]]
            )
        out.append(
            [
                label,
                _("合计"),
                sum(row["sessions"] for row in these),
                sum(row["attendance"] for row in these),
            ]
        )
    return out


# --- 街道统计 -------------------------------------------------------------------------------


def street_columns() -> list[tuple[str, int, str]]:
    return [
        (_("街道"), 14, "text"),
        (_("举办场次"), 10, "int"),
        (_("报名人数"), 10, "int"),
        (_("签到人数"), 10, "int"),
        (_("到场率"), 10, "percent"),
    ]


async def street_rows(year: int) -> list[list[Any]]:
    """Held events per street (confirmed and checked-in people), then the total."""
    rows = await breakdowns.breakdown(year, by="street")
    out = [
        [
            row["name"],
            row["sessions"],
            row["confirmed"],
            row["attendance"],
            _share(row["attendance"], row["confirmed"]),
        ]
        for row in rows
    ]
    sessions = sum(row["sessions"] for row in rows)
    confirmed = sum(row["confirmed"] for row in rows)
    attendance = sum(row["attendance"] for row in rows)
    out.append([_("合计"), sessions, confirmed, attendance, _share(attendance, confirmed)])
    return out


# --- the workbook ---------------------------------------------------------------------------


async def sheets(year: int) -> list[tuple[str, list, AsyncIterator[list]]]:
    """The four sheets of the year's workbook (the year is checked first)."""
    stats.check_year(year)
    return [
        (_("目标完成情况"), goal_columns(), exports.rows_of(await goal_rows(year))),
        (_("活动明细"), exports.attendance_columns(), exports.attendance_rows(year)),
        (_("月度统计"), monthly_columns(), exports.rows_of(await monthly_rows(year))),
        (_("街道统计"), street_columns(), exports.rows_of(await street_rows(year))),
    ]


async def workbook(year: int) -> str:
    """Path of a temporary .xlsx with the year's report (the caller deletes it)."""
    return await exports.xlsx_file(await sheets(year))


def filename(year: int) -> str:
    return _("{year} 年度活动统计报表").format(year=year)
