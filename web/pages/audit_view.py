"""The audit log as pages show it: who, what, when, and each changed field before → after."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from events import audit
from events.i18n import N_
from events.i18n import gettext as _
from events.kinds import kind_label, status_label
from events.tables import AuditLog
from events.timeutil import aware
from web.pages.forms import field_label, role_label
from web.templating import short_time

ACTION_LABELS: dict[str, str] = {
    "event.create": N_("创建活动"),
    "event.update": N_("修改活动"),
    "event.publish": N_("发布活动"),
    "event.cancel": N_("取消活动"),
    "event.duplicate": N_("复制活动"),
    "user.create": N_("创建账号"),
    "user.update": N_("修改账号"),
    "token.revoke": N_("注销令牌"),
    "demo.load": N_("载入演示数据"),
    "event.questions": N_("修改报名问题"),
    "registration.create": N_("代为报名"),
    "registration.cancel": N_("取消报名"),
    "registration.restore": N_("恢复报名"),
    "registration.move": N_("移到另一场"),
    "registration.promote": N_("候补递补"),
}
ACTION_PREFIXES: dict[str, str] = {
    "event.": N_("活动"),
    "user.": N_("账号"),
    "token.": N_("令牌"),
    "registration.": N_("报名"),
}
# Fields of the registration and question entries (the event form's fields: forms.FIELD_LABELS).
AUDIT_FIELDS: dict[str, str] = {
    "questions": N_("报名问题"),
    "reason": N_("原因"),
    "by": N_("取消方"),
    "event": N_("活动"),
}
CANCELLED_BY = {"self": N_("本人"), "organizer": N_("组织者"), "event": N_("活动取消")}
REGISTRATION_STATUSES = {"confirmed": N_("已确认"), "waitlisted": N_("候补")}
OBJECT_LINKS = {"event": "/manage/events/{id}", "user": "/manage/users/{id}"}
MAX_TEXT = 80


def audit_field_label(name: str) -> str:
    return _(AUDIT_FIELDS[name]) if name in AUDIT_FIELDS else field_label(name)


def action_label(action: str) -> str:
    return _(ACTION_LABELS[action]) if action in ACTION_LABELS else action


def _loaded(value: Any) -> dict:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {"value": value}
    return value if isinstance(value, dict) else {}


def show_value(name: str, value: Any) -> str:
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
    if name in ("source", "event"):
        return f"#{value}"
    if name == "by" and value in CANCELLED_BY:
        return _(CANCELLED_BY[value])
    if isinstance(value, list):
        value = "、".join(str(item) for item in value)
    if isinstance(value, str) and (name.endswith("_at") or name.endswith("_time")):
        try:
            return short_time(aware(datetime.fromisoformat(value)))
        except ValueError:
            return value
    text = str(value)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "…"


def changes(row: dict) -> list[tuple[str, str | None, str]]:
    """(field label, before or None, after) for every field the row records."""
    before, after = _loaded(row.get("before")), _loaded(row.get("after"))
    out = []
    for name in [*after, *(key for key in before if key not in after)]:
        old = show_value(name, before[name]) if name in before else None
        out.append((audit_field_label(name), old, show_value(name, after.get(name))))
    return out


def entry(row: dict) -> dict:
    link = OBJECT_LINKS.get(row["object_type"])
    return {
        "at": row["at"],
        "actor": row.get("actor_username") or row.get("actor_name") or "system",
        "action": row["action"],
        "action_label": action_label(row["action"]),
        "object": f"{row['object_type']} #{row['object_id']}" if row["object_id"] else "",
        "link": link.format(id=row["object_id"]) if link and row["object_id"] else None,
        "changes": changes(row),
    }


async def for_object(object_type: str, object_id: int, limit: int = 100) -> list[dict]:
    rows = await audit.recent(limit=limit, object_type=object_type, object_id=object_id)
    return [entry(row) for row in rows]


async def latest(limit: int = 200, action_prefix: str | None = None) -> list[dict]:
    """The newest rows of the whole log, optionally only actions starting with a prefix."""
    rows = await audit.recent(limit=limit, action_prefix=action_prefix)
    return [entry(row) for row in rows]


async def for_event_registrations(event_id: int, limit: int = 50) -> list[dict]:
    """The newest entries about the registrations now in the event, each named by its person."""
    rows = await AuditLog.raw(
        "SELECT audit_log.*, staff_user.username AS actor_username, registration.name AS person"
        " FROM audit_log JOIN registration ON registration.id = audit_log.object_id"
        " LEFT JOIN staff_user ON staff_user.id = audit_log.actor"
        " WHERE audit_log.object_type = 'registration' AND registration.event = {}"
        " ORDER BY audit_log.id DESC LIMIT {}",
        event_id,
        limit,
    )
    return [{**entry(row), "object": row["person"]} for row in rows]
