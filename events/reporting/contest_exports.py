"""A contest's entries as a spreadsheet (XLSX and CSV through `exports`' writers): one row per
entry with its group, grade, the child's and guardian's details (the phone masked), status,
each judge's weighted score (one column per judge), the raw mean, the normalised score, rank,
award and the reasons of a rejection or a move.

Before the results are published the scores, ranks and the proposed selection come from
`results.compute` (the contract's rule, nothing stored); after, raw, score and rank are the
values frozen at publication. Judges' weighted scores come from the same computation (they
cannot change once published).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from events.contests import results
from events.contests.config import contest_event, grade_name, group_rank, load
from events.contests.tables import Entry
from events.core.i18n import N_
from events.core.i18n import gettext as _
from events.core.phones import mask
from events.core.timeutil import local

ENTRY_STATUS = {
    "submitted": N_("已提交"),
    "withdrawn": N_("已撤回"),
    "rejected": N_("未通过审核"),
    "selected": N_("入选"),
    "not_selected": N_("未入选"),
}
RAW_PLACES, SCORE_PLACES = 3, 4


def _number(value: float | None, places: int) -> float | None:
    return None if value is None else round(value, places)


def _minute(value: datetime | None) -> datetime | None:
    """A naive Shanghai time to the minute (what the spreadsheet writers show)."""
    if value is None:
        return None
    return local(value).replace(tzinfo=None, second=0, microsecond=0)


def entry_columns(judges: list[str]) -> list[tuple[str, int, str]]:
    """(header, width, kind); a `number` cell is a plain number (general format)."""
    return [
        (_("作品编号"), 10, "text"),
        (_("组别"), 14, "text"),
        (_("年级"), 10, "text"),
        (_("孩子姓名"), 12, "text"),
        (_("学校"), 24, "text"),
        (_("监护人"), 12, "text"),
        (_("监护人手机（隐去中间四位）"), 16, "text"),
        (_("作品标题"), 24, "text"),
        (_("状态"), 10, "text"),
        (_("提交时间"), 17, "datetime"),
        *((_("评委 {name}").format(name=name), 12, "number") for name in judges),
        (_("评分人数"), 8, "int"),
        (_("原始平均分"), 10, "number"),
        (_("标准化得分"), 10, "number"),
        (_("组内名次"), 8, "int"),
        (_("入选"), 12, "text"),
        (_("奖项"), 10, "text"),
        (_("人工调整"), 24, "text"),
        (_("不通过原因"), 24, "text"),
    ]


async def entry_export(event_id: int) -> tuple[str, list, AsyncIterator[list]]:
    """(file name stem, columns, rows) of a contest's entries, for `exports.csv_stream` or
    `exports.xlsx_file`; NotFound for an event that is not a configured contest."""
    event = await contest_event(event_id)
    contest = await load(event_id)
    published = contest["published_at"] is not None
    computed = await results.compute(event_id)
    ranked: dict[int, dict[str, Any]] = {
        row["entry_id"]: row for group in computed["groups"] for row in group["ranking"]
    }
    judges = sorted({p["judge"] for row in ranked.values() for p in row["per_judge"]})
    rows = await Entry.select().where(Entry.contest == contest["id"]).order_by(Entry.id)
    order = group_rank(contest)
    names = {g["code"]: g["name"] for g in contest["groups"]}

    def position(row: dict) -> tuple:
        rank = row["rank"] if published else ranked.get(row["id"], {}).get("rank")
        return (order.get(row["group_code"], 99), rank is None, rank or 0, row["id"])

    rows.sort(key=position)
    stem = _("{title} 参赛作品").format(title=event["title"][:60])
    return stem, entry_columns(judges), _rows(rows, ranked, judges, names, published)


def _selection(row: dict, computed: dict | None, published: bool) -> str:
    if published:
        return _("是") if row["status"] == "selected" else ""
    if computed and computed["selected"]:
        return _("拟入选（未发布）")
    return ""


def _move(row: dict) -> str:
    if not row["override"]:
        return ""
    label = _("调入") if row["override"] == "in" else _("调出")
    return f"{label}：{row['override_reason']}" if row["override_reason"] else label


async def _rows(
    rows: list[dict],
    ranked: dict[int, dict],
    judges: list[str],
    names: dict[str, str],
    published: bool,
) -> AsyncIterator[list]:
    statuses = {key: _(label) for key, label in ENTRY_STATUS.items()}
    for row in rows:
        computed = ranked.get(row["id"])
        per_judge = {p["judge"]: p["weighted"] for p in computed["per_judge"]} if computed else {}
        if published:
            raw, score, rank = row["raw_score"], row["score"], row["rank"]
        elif computed:
            raw, score, rank = computed["raw"], computed["score"], computed["rank"]
        else:
            raw = score = rank = None
        yield [
            row["code"],
            names.get(row["group_code"], row["group_code"]),
            grade_name(row["grade"]),
            row["child_name"],
            row["school"],
            row["guardian_name"],
            mask(row["guardian_phone"]),
            row["title"],
            statuses.get(row["status"], row["status"]),
            _minute(row["submitted_at"]),
            *(_number(per_judge.get(name), RAW_PLACES) for name in judges),
            computed["judges"] if computed else None,
            _number(raw, RAW_PLACES),
            _number(score, SCORE_PLACES),
            rank,
            _selection(row, computed, published),
            row["award"] or "",
            _move(row),
            row["reject_reason"] or "",
        ]
