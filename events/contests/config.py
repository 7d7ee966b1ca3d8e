"""A contest's configuration: the submission window, age groups, rubric, judging and selection.

`put_config` validates everything (a field → its message, in Chinese) before anything is
stored; `get_config` reads it back in the contract's shape. The configuration may change until
the results are published.
"""

from __future__ import annotations

import re
from datetime import datetime
from itertools import pairwise
from typing import Any

from events.accounts import audit
from events.contests.tables import Contest
from events.core.db import write_transaction
from events.core.errors import Conflict, Invalid, NotFound
from events.core.i18n import N_
from events.core.i18n import gettext as _
from events.core.timeutil import aware, in_years, iso, now, parse_local
from events.tables import Event

MIN_GRADE, MAX_GRADE = 1, 12
CODE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
# Stored in Chinese (certificates are Chinese documents); pages translate them with _().
DEFAULT_AWARDS = (N_("一等奖"), N_("二等奖"), N_("三等奖"), N_("优秀奖"))
MAX_GROUPS, MAX_CRITERIA = 12, 12


class ResultsPublished(Conflict):
    code = "results_published"


GRADE_NAMES = (
    N_("小学一年级"),
    N_("小学二年级"),
    N_("小学三年级"),
    N_("小学四年级"),
    N_("小学五年级"),
    N_("小学六年级"),
    N_("初一"),
    N_("初二"),
    N_("初三"),
    N_("高一"),
    N_("高二"),
    N_("高三"),
)


def grade_name(grade: int) -> str:
    """1 → 小学一年级 … 6 → 小学六年级, 7 → 初一 … 9 → 初三, 10 → 高一 … 12 → 高三."""
    if MIN_GRADE <= grade <= MAX_GRADE:
        return _(GRADE_NAMES[grade - 1])
    return str(grade)


def _time(value: Any, field: str, errors: dict[str, str]) -> datetime | None:
    try:
        moment = value if isinstance(value, datetime) else parse_local(str(value))
    except (TypeError, ValueError):
        errors[field] = _("请填写有效的日期和时间")
        return None
    moment = aware(moment)
    if not in_years(moment):
        errors[field] = _("请填写有效的日期和时间")
        return None
    return moment


def _whole(value: Any, low: int, high: int) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int) and low <= value <= high:
        return value
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, int | float) and value == value and abs(value) < 1e9:
        return float(value)
    return None


def _groups(raw: Any, errors: dict[str, str]) -> list[dict]:
    if not isinstance(raw, list) or not raw or len(raw) > MAX_GROUPS:
        errors["groups"] = _("请设置 1 到 {n} 个组别").format(n=MAX_GROUPS)
        return []
    groups: list[dict] = []
    for index, item in enumerate(raw):
        item = item if isinstance(item, dict) else {}
        code = str(item.get("code") or "").strip()
        name = str(item.get("name") or "").strip()
        low = _whole(item.get("min_grade"), MIN_GRADE, MAX_GRADE)
        high = _whole(item.get("max_grade"), MIN_GRADE, MAX_GRADE)
        if not CODE.match(code) or not name or len(name) > 40:
            errors[f"groups.{index}"] = _("组别需要代码（字母或数字）和名称")
        elif low is None or high is None or low > high:
            errors[f"groups.{index}"] = _(
                "年级范围须在 1（小学一年级）到 12（高三）之间，且起始不晚于结束"
            )
        else:
            groups.append({"code": code, "name": name, "min_grade": low, "max_grade": high})
    codes = [group["code"] for group in groups]
    if len(set(codes)) != len(codes):
        errors["groups"] = _("组别代码不能重复")
    ordered = sorted(groups, key=lambda group: group["min_grade"])
    for before, after in pairwise(ordered):
        if after["min_grade"] <= before["max_grade"]:
            errors["groups"] = _("组别的年级范围不能重叠：{a} 与 {b}").format(
                a=before["name"], b=after["name"]
            )
    return groups


def _criteria(raw: Any, errors: dict[str, str]) -> list[dict]:
    if not isinstance(raw, list) or not raw or len(raw) > MAX_CRITERIA:
        errors["criteria"] = _("请设置 1 到 {n} 项评分标准").format(n=MAX_CRITERIA)
        return []
    criteria: list[dict] = []
    for index, item in enumerate(raw):
        item = item if isinstance(item, dict) else {}
        code = str(item.get("code") or "").strip()
        name = str(item.get("name") or "").strip()
        weight = _number(item.get("weight"))
        if not CODE.match(code) or not name or len(name) > 40:
            errors[f"criteria.{index}"] = _("评分标准需要代码（字母或数字）和名称")
        elif weight is None or weight <= 0 or weight > 1000:
            errors[f"criteria.{index}"] = _("权重须为大于 0 的数")
        else:
            criteria.append({"code": code, "name": name, "weight": weight})
    codes = [item["code"] for item in criteria]
    if len(set(codes)) != len(codes):
        errors["criteria"] = _("评分标准代码不能重复")
    return criteria


def _awards(raw: Any, errors: dict[str, str]) -> list[dict]:
    """[{"name", "count"}]: the first `count` selected of each group get the tier; the selected
    left over get the last tier (its count is ignored)."""
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > 8:
        errors["awards"] = _("奖项设置有误")
        return []
    awards = []
    for index, item in enumerate(raw):
        item = item if isinstance(item, dict) else {}
        name = str(item.get("name") or "").strip()
        count = _whole(item.get("count", 0), 0, 100_000)
        if not name or len(name) > 20 or count is None:
            errors[f"awards.{index}"] = _("每个奖项需要名称和名额（不小于 0 的整数）")
        else:
            awards.append({"name": name, "count": count})
    return awards


def validate(raw: dict[str, Any]) -> dict[str, Any]:
    """The configuration to store, or `Invalid` naming every field that is wrong."""
    errors: dict[str, str] = {}
    opens = _time(raw.get("submissions_open_at"), "submissions_open_at", errors)
    closes = _time(raw.get("submissions_close_at"), "submissions_close_at", errors)
    if opens and closes and closes <= opens:
        errors["submissions_close_at"] = _("截止时间须晚于开始时间")
    groups = _groups(raw.get("groups"), errors)
    criteria = _criteria(raw.get("criteria"), errors)
    judges = _whole(raw.get("judges_per_entry", 3), 1, 20)
    if judges is None:
        errors["judges_per_entry"] = _("每件作品的评委人数须为 1 到 20 的整数")
    share = _number(raw.get("selection_share", 0.2))
    if share is None or not 0 <= share <= 1:
        errors["selection_share"] = _("入选比例须在 0 到 1 之间（如 0.2 表示 20%）")
    quotas = raw.get("quotas")
    if quotas is not None:
        codes = {group["code"] for group in groups}
        if not isinstance(quotas, dict) or any(
            key not in codes or _whole(value, 0, 100_000) is None for key, value in quotas.items()
        ):
            errors["quotas"] = _("各组入选名额须为不小于 0 的整数，且组别须存在")
        else:
            quotas = {key: int(value) for key, value in quotas.items()}
    per_child = _whole(raw.get("max_entries_per_child", 1), 1, 20)
    if per_child is None:
        errors["max_entries_per_child"] = _("每位孩子的作品数须为 1 到 20 的整数")
    gallery = raw.get("gallery", True)
    if not isinstance(gallery, bool):
        errors["gallery"] = _("请选择是否开放作品展")
    retention = _whole(raw.get("retention_days", 365), 30, 3650)
    if retention is None:
        errors["retention_days"] = _("保存期限须为 30 到 3650 天")
    issuer = str(raw.get("issuer") or "").strip()
    if len(issuer) > 100:
        errors["issuer"] = _("颁发单位不超过 100 字")
    awards = _awards(raw.get("awards"), errors)
    if errors:
        first = next(iter(errors.values()))
        raise Invalid(first, errors)
    return {
        "submissions_open_at": opens,
        "submissions_close_at": closes,
        "groups": groups,
        "criteria": criteria,
        "judges_per_entry": judges,
        "selection_share": share,
        "quotas": quotas or None,
        "max_entries_per_child": per_child,
        "gallery": gallery,
        "retention_days": retention,
        "issuer": issuer,
        "awards": awards,
    }


async def contest_event(event_id: int) -> dict:
    """The event, if it is a contest (else NotFound)."""
    event = await Event.select().where(Event.id == event_id).first()
    if not event or event["kind"] != "contest":
        raise NotFound(_("没有这个比赛"))
    return event


async def load(event_id: int) -> dict:
    """The stored configuration row (NotFound before it is set)."""
    row = await Contest.select().where(Contest.event == event_id).output(load_json=True).first()
    if not row:
        raise NotFound(_("这个比赛还没有设置征集规则"))
    return row


def shape(row: dict) -> dict[str, Any]:
    """The contract's shape of a stored configuration (plus a few fields of our own)."""
    return {
        "event_id": row["event"],
        "submissions_open_at": iso(row["submissions_open_at"]),
        "submissions_close_at": iso(row["submissions_close_at"]),
        "groups": row["groups"],
        "criteria": row["criteria"],
        "judges_per_entry": row["judges_per_entry"],
        "selection_share": row["selection_share"],
        "quotas": row["quotas"],
        "max_entries_per_child": row["max_entries_per_child"],
        "gallery": row["gallery"],
        "retention_days": row["retention_days"],
        "issuer": row["issuer"],
        # What the organizer set ([] when nothing: then the default tiers below apply), so
        # that a client may PUT back what it GOT without turning the defaults into counts.
        "awards": row["awards"] or [],
        "default_awards": default_awards(),
        "results_published": row["published_at"] is not None,
        "published_at": iso(row["published_at"]),
    }


def default_awards() -> list[dict]:
    """When none are set: of each group's selected, 10 % 一等奖 (at least one), the next 20 %
    二等奖, the next 30 % 三等奖 and the rest 优秀奖 (shares; counts come per group)."""
    return [
        {"name": DEFAULT_AWARDS[0], "share": 0.1},
        {"name": DEFAULT_AWARDS[1], "share": 0.2},
        {"name": DEFAULT_AWARDS[2], "share": 0.3},
        {"name": DEFAULT_AWARDS[3], "share": 0.4},
    ]


async def get_config(event_id: int) -> dict[str, Any]:
    await contest_event(event_id)
    return shape(await load(event_id))


async def put_config(event_id: int, raw: dict[str, Any], actor: dict | None = None) -> dict:
    event = await contest_event(event_id)
    values = validate(raw)
    if not values["issuer"]:
        values["issuer"] = event.get("organizer_unit") or ""
    async with write_transaction():
        existing = (
            await Contest.select().where(Contest.event == event_id).output(load_json=True).first()
        )
        if existing and existing["published_at"] is not None:
            raise ResultsPublished(_("结果已发布，比赛设置不能再修改"))
        if existing:
            await Contest.update({**_columns(values), Contest.updated_at: now()}).where(
                Contest.id == existing["id"]
            )
        else:
            await Contest.insert(Contest(event=event_id, **values))
        await audit.record(
            actor,
            "contest.configure",
            "event",
            event_id,
            before=shape(existing) if existing else None,
            after={key: iso(v) if isinstance(v, datetime) else v for key, v in values.items()},
        )
    return await get_config(event_id)


def _columns(values: dict[str, Any]) -> dict:
    return {getattr(Contest, key): value for key, value in values.items()}


def group_for(groups: list[dict], grade: int) -> dict | None:
    return next((g for g in groups if g["min_grade"] <= grade <= g["max_grade"]), None)


def submissions_open(row: dict, at: datetime | None = None) -> bool:
    at = at or now()
    return row["submissions_open_at"] <= at < row["submissions_close_at"]


def window_state(row: dict, at: datetime | None = None) -> str:
    """`not_yet`, `open` or `closed`: where the submission window stands."""
    at = at or now()
    if at < row["submissions_open_at"]:
        return "not_yet"
    return "open" if at < row["submissions_close_at"] else "closed"


def groups_in_order(row: dict) -> list[dict]:
    """The contest's age groups, youngest first."""
    return sorted(row["groups"], key=lambda group: group["min_grade"])


def group_rank(row: dict) -> dict[str, int]:
    """Group code → its place in `groups_in_order` (for sorting entries by group)."""
    return {group["code"]: index for index, group in enumerate(groups_in_order(row))}
