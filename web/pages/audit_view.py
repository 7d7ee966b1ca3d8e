"""The audit log as pages show it: who, what, when, and each changed field before → after."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from events.accounts import audit
from events.core.errors import Invalid
from events.core.i18n import N_
from events.core.i18n import gettext as _
from events.core.kinds import kind_label, status_label
from events.core.timeutil import aware
from events.reporting import stats
from web.pages.forms import field_label, role_label
from web.templating import short_time

# Every action the code base writes (`audit.record(...)` in events/ and web/); an action not
# listed here (an old or future code) shows as its raw code.
ACTION_LABELS: dict[str, str] = {
    "event.create": N_("创建活动"),
    "event.update": N_("修改活动"),
    "event.publish": N_("发布活动"),
    "event.cancel": N_("取消活动"),
    "event.duplicate": N_("复制活动"),
    "event.questions": N_("修改报名问题"),
    "registration.create": N_("代为报名"),
    "registration.cancel": N_("取消报名"),
    "registration.restore": N_("恢复报名"),
    "registration.move": N_("移到另一场"),
    "registration.promote": N_("候补递补"),
    "checkin.undo": N_("撤销签到"),
    "user.create": N_("创建账号"),
    "user.update": N_("修改账号"),
    "token.revoke": N_("注销令牌"),
    "export.unmasked": N_("导出完整手机号"),
    "goals.set": N_("设定年度目标"),
    "settings.retention": N_("修改数据保留期限"),
    "retention.anonymise": N_("匿名化过期报名"),
    "demo.load": N_("载入演示数据"),
    "contest.configure": N_("设置比赛"),
    "contest.assign": N_("分配评委"),
    "contest.conflict": N_("评委申报回避"),
    "contest.move": N_("人工调整入选"),
    "contest.publish": N_("发布评选结果"),
    "entry.reject": N_("作品审核不通过"),
    "entry.restore": N_("恢复作品"),
    "retention.contest_entries": N_("删除过期参赛作品"),
}
# The log page's filter and page size (the queries: `events.accounts.audit.log_page`).
ACTION_GROUPS = audit.ACTION_GROUPS
PAGE_SIZE = audit.PAGE_SIZE
# Fields of the registration, question, export, goal and retention entries (the event and
# user forms' fields: forms.FIELD_LABELS).
AUDIT_FIELDS: dict[str, str] = {
    "questions": N_("报名问题"),
    "reason": N_("原因"),
    "by": N_("取消方"),
    "event": N_("活动"),
    "format": N_("导出格式"),
    "count": N_("数量"),
    "retention_days": N_("保留天数"),
    "ended_before": N_("活动结束早于"),
    "year": N_("年份"),
    "events": N_("新增活动"),
    "users": N_("账号"),
    "registrations": N_("新增报名"),
    "checked_in_at": N_("签到时间"),
}
# A field whose meaning depends on the action: `source` of a registration is its channel.
ACTION_FIELDS: dict[str, dict[str, str]] = {
    "registration.create": {"source": N_("报名渠道")},
}
CANCELLED_BY = {"self": N_("本人"), "organizer": N_("组织者"), "event": N_("活动取消")}
REGISTRATION_STATUSES = {"confirmed": N_("已确认"), "waitlisted": N_("候补")}
# The channels of `events.reporting.exports.SOURCES` (same words).
SOURCES = {"web": N_("网页"), "api": N_("接口"), "walk_in": N_("现场"), "organizer": N_("主办方")}
FORMATS = {"xlsx": "Excel", "csv": "CSV"}
OBJECT_TYPES: dict[str, str] = {
    "event": N_("活动"),
    "registration": N_("报名"),
    "user": N_("账号"),
    "token": N_("令牌"),
    "goals": N_("年度目标"),
    "setting": N_("设置"),
    "demo": N_("演示数据"),
    "contest_entry": N_("参赛作品"),
}
OBJECT_LINKS = {
    "event": "/manage/events/{id}",
    "user": "/manage/users/{id}",
    "goals": "/manage/goals?year={id}",
}
TIME_FIELDS = ("ended_before",)
MAX_TEXT = 80


def audit_field_label(name: str, action: str = "") -> str:
    special = ACTION_FIELDS.get(action, {})
    if name in special:
        return _(special[name])
    if name in AUDIT_FIELDS:
        return _(AUDIT_FIELDS[name])
    if stats.METRIC.match(name):  # a goal: `sessions.lecture` → 科普讲座 · 举办场次
        try:
            return stats.metric_label(name)
        except Invalid:  # an unknown kind: the raw code
            return name
    return field_label(name)


def action_label(action: str) -> str:
    return _(ACTION_LABELS[action]) if action in ACTION_LABELS else action


def _loaded(value: Any) -> dict:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {"value": value}
    return value if isinstance(value, dict) else {}


def show_value(name: str, value: Any, action: str = "") -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if name == "kind":
        return kind_label(value)
    if name == "status" and value in REGISTRATION_STATUSES:
        return _(REGISTRATION_STATUSES[value])
    if name == "status":
        return status_label(value)
    if name == "role":
        return role_label(value)
    if name == "source" and action.startswith("registration."):
        return _(SOURCES[value]) if value in SOURCES else str(value)
    if name in ("source", "event"):
        return f"#{value}"
    if name == "format" and value in FORMATS:
        return FORMATS[value]
    if name == "password" and value == "changed":
        return _("已修改")
    if name == "by" and value in CANCELLED_BY:
        return _(CANCELLED_BY[value])
    if isinstance(value, list):
        value = "、".join(str(item) for item in value)
    if isinstance(value, str) and (
        name.endswith("_at") or name.endswith("_time") or name in TIME_FIELDS
    ):
        try:
            return short_time(aware(datetime.fromisoformat(value)))
        except ValueError:
            return value
    text = str(value)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "…"


def changes(row: dict) -> list[tuple[str, str | None, str]]:
    """(field label, before or None, after) for every field the row records."""
    before, after = _loaded(row.get("before")), _loaded(row.get("after"))
    action = row.get("action") or ""
    out = []
    for name in [*after, *(key for key in before if key not in after)]:
        old = show_value(name, before[name], action) if name in before else None
        new = show_value(name, after.get(name), action)
        out.append((audit_field_label(name, action), old, new))
    return out


def object_text(object_type: str, object_id: int | None) -> str:
    label = _(OBJECT_TYPES[object_type]) if object_type in OBJECT_TYPES else object_type
    return f"{label} #{object_id}" if object_id else label


def entry(row: dict) -> dict:
    link = OBJECT_LINKS.get(row["object_type"])
    return {
        "at": row["at"],
        "actor": row.get("actor_username") or row.get("actor_name") or "system",
        "action": row["action"],
        "action_label": action_label(row["action"]),
        "object": object_text(row["object_type"], row["object_id"]),
        "link": link.format(id=row["object_id"]) if link and row["object_id"] else None,
        "changes": changes(row),
    }


async def for_object(object_type: str, object_id: int, limit: int = 100) -> list[dict]:
    rows = await audit.recent(limit=limit, object_type=object_type, object_id=object_id)
    return [entry(row) for row in rows]


async def log_page(
    action: str | None = None,
    before: int | None = None,
    after: int | None = None,
    size: int | None = None,
) -> dict:
    """One page of the whole log as `audit.log_page` finds it: {entries, older, newer}."""
    found = await audit.log_page(action, before=before, after=after, size=size)
    entries = [entry(row) for row in found["rows"]]
    return {"entries": entries, "older": found["older"], "newer": found["newer"]}


async def latest(limit: int = 200, action_prefix: str | None = None) -> list[dict]:
    """The newest rows of the whole log, optionally only actions starting with a prefix."""
    rows = await audit.recent(limit=limit, action_prefix=action_prefix)
    return [entry(row) for row in rows]


async def for_event_registrations(event_id: int, limit: int = 50) -> list[dict]:
    """The newest entries about the registrations now in the event, each named by its person."""
    rows = await audit.of_event_registrations(event_id, limit)
    return [{**entry(row), "object": row["person"]} for row in rows]
