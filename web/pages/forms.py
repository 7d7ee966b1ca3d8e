"""Form parsing and display helpers of the organizer area (no business rules: the services check).

A form arrives as `dict[str, str]` (URL-encoded, one value per name); these helpers turn it into
the raw dicts `events.scheduling.scheduling` and `events.accounts.accounts` validate, and
turn stored rows back into the strings a form shows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from events.accounts.accounts import ROLES
from events.core import numbers
from events.core.errors import Invalid
from events.core.i18n import N_
from events.core.i18n import gettext as _
from events.core.timeutil import now
from events.scheduling.scheduling import registration_state
from web.templating import datetime_local

EVENT_TEXT = ("title", "series", "description", "venue", "address", "street", "organizer_unit")
EVENT_REQUIRED = ("kind", "starts_at", "ends_at", "capacity", "max_party_size")
EVENT_OPTIONAL_TIMES = ("registration_opens_at", "registration_closes_at")
EVENT_FLAGS = ("waitlist", "family", "ask_company")  # checkboxes
TRUE_VALUES = {"true", "on", "1", "yes"}

# Field labels shared by the forms and the audit log (translated where shown).
FIELD_LABELS: dict[str, str] = {
    "title": N_("活动名称"),
    "kind": N_("活动类型"),
    "series": N_("所属系列"),
    "description": N_("活动介绍"),
    "venue": N_("活动场地"),
    "address": N_("详细地址"),
    "street": N_("所在街道"),
    "organizer_unit": N_("主办单位"),
    "starts_at": N_("开始时间"),
    "ends_at": N_("结束时间"),
    "capacity": N_("名额"),
    "max_party_size": N_("每单最多人数"),
    "waitlist": N_("满额后允许候补"),
    "family": N_("亲子活动：按成人/儿童计名额"),
    "ask_company": N_("需填写单位"),
    "registration_opens_at": N_("报名开始时间"),
    "registration_closes_at": N_("报名截止时间"),
    "status": N_("状态"),
    "username": N_("用户名"),
    "display_name": N_("显示名称"),
    "role": N_("角色"),
    "active": N_("启用"),
    "password": N_("密码"),
    "last_login_at": N_("最近登录"),
    "created_at": N_("创建时间"),
    "source": N_("复制自活动"),
    "days": N_("间隔天数"),
}

DONE_MESSAGES: dict[str, str] = {
    "created": N_("活动已创建。"),
    "saved": N_("已保存。"),
    "saved_promoted": N_("已保存；新增的名额已按登记顺序递补给候补，并已通知他们。"),
    "published": N_("活动已发布，公众现在可以看到并报名。"),
    "cancelled": N_("活动已取消。"),
    "duplicated": N_("已复制为草稿：请核对时间等信息，保存后再发布。"),
    "user_created": N_("账号已创建。"),
    "user_saved": N_("账号已保存。"),
    "token_revoked": N_("令牌已注销。"),
}

STATE_LABELS: dict[str, tuple[str, str]] = {
    "open": ("ok", N_("报名中")),
    "not_yet": ("soon", N_("报名未开始")),
    "closed": ("off", N_("报名已截止")),
    "full": ("off", N_("已满")),
    "waitlist": ("wait", N_("已满 · 候补中")),
}


def done_message(done: str | None) -> str | None:
    return _(DONE_MESSAGES[done]) if done in DONE_MESSAGES else None


def field_label(name: str) -> str:
    return _(FIELD_LABELS[name]) if name in FIELD_LABELS else name


def role_label(role: str) -> str:
    return _(ROLES[role]) if role in ROLES else role


def checked(data: dict[str, str], name: str) -> bool:
    return (data.get(name) or "").strip().lower() in TRUE_VALUES


def _clean_str(value: Any) -> str:
    return value.replace("\r\n", "\n") if isinstance(value, str) else ""


# ---- events -------------------------------------------------------------------------------


def event_raw(data: dict[str, str], creating: bool) -> dict[str, Any]:
    """The raw dict for `scheduling.create_event` / `update_event` from the submitted form."""
    raw: dict[str, Any] = {name: _clean_str(data.get(name)) for name in EVENT_TEXT}
    for name in EVENT_REQUIRED:
        raw[name] = _clean_str(data.get(name)).strip()
    for name in EVENT_OPTIONAL_TIMES:
        raw[name] = _clean_str(data.get(name)).strip() or None
    for name in EVENT_FLAGS:
        raw[name] = "true" if checked(data, name) else "false"
    if creating:
        raw["status"] = _clean_str(data.get("status")) or "published"
    return raw


def event_form_values(row: dict | None) -> dict[str, str]:
    """What the form shows: a stored event, or the defaults of a new one."""
    if row is None:
        return {"capacity": "", "max_party_size": "1", "waitlist": "true", "status": "published"}
    values = {name: row.get(name) or "" for name in EVENT_TEXT}
    values["kind"] = row["kind"]
    for name in ("starts_at", "ends_at", *EVENT_OPTIONAL_TIMES):
        values[name] = datetime_local(row.get(name))
    values["capacity"] = str(row["capacity"])
    values["max_party_size"] = str(row["max_party_size"])
    for name in EVENT_FLAGS:
        values[name] = "true" if row[name] else "false"
    return values


def submitted_values(data: dict[str, str]) -> dict[str, str]:
    """The typed values to show again after an error (checkbox normalised)."""
    values = {key: _clean_str(value) for key, value in data.items() if key != "_csrf_token"}
    for name in EVENT_FLAGS:
        values[name] = "true" if checked(data, name) else "false"
    return values


def event_field_errors(error: Invalid, raw: dict[str, Any]) -> dict[str, str]:
    """Messages per field; a kind left unselected reads better as "please choose"."""
    fields = dict(error.fields) or {"form": error.detail}
    if "kind" in fields and not raw.get("kind"):
        fields["kind"] = _("请选择活动类型")
    return fields


def parse_days(value: str | None) -> int:
    days = numbers.whole(value or "")
    if days is None:
        raise Invalid(_("请填写间隔天数"), {"days": _("请填写 1 到 366 之间的整数")})
    return days


def state_badge(row: dict, at: datetime | None = None) -> tuple[str, str]:
    """(css class, text): the event's registration state as an organizer reads it."""
    at = at or now()
    if row["status"] == "draft":
        return "soon", _("草稿 · 未发布")
    if row["status"] == "cancelled":
        return "off", _("已取消")
    if row["ends_at"] <= at:
        return "off", _("已结束")
    cls, label = STATE_LABELS[registration_state(row, at)]
    return cls, _(label)


def counts(row: dict) -> dict[str, int]:
    return {
        "capacity": row["capacity"],
        "confirmed": row["confirmed"],
        "waitlisted": row["waitlisted"],
        "seats_left": max(row["capacity"] - row["confirmed"], 0),
    }


# ---- users --------------------------------------------------------------------------------


def user_create_values(data: dict[str, str]) -> dict[str, str]:
    return {
        "username": (data.get("username") or "").strip(),
        "display_name": (data.get("display_name") or "").strip(),
        "role": (data.get("role") or "").strip(),
        "password": data.get("password") or "",
    }


def user_edit_values(data: dict[str, str]) -> dict[str, Any]:
    return {
        "role": (data.get("role") or "").strip(),
        "display_name": (data.get("display_name") or "").strip(),
        "active": checked(data, "active"),
        "password": data.get("password") or None,
    }
