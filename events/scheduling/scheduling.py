"""Organizers schedule events: create, edit, publish, cancel, duplicate. Every change is audited.

`clean_event_fields` is the one validation path for the API (typed values) and the organizer
forms (strings): it returns clean values or raises `Invalid` with a message per field.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from events.accounts import audit
from events.core import numbers
from events.core.db import write_transaction
from events.core.errors import CapacityBelowConfirmed, Invalid, InvalidTransition, NotFound
from events.core.i18n import gettext as _
from events.core.kinds import KINDS
from events.core.timeutil import MAX_YEAR, MIN_YEAR, aware, in_years, iso, now, parse_local
from events.core.validation import CONTROL_CHARS, MAX_ID
from events.tables import Event, Question

MAX_CAPACITY = 100_000
MAX_PARTY = 20
TEXT_LIMITS = {
    "title": 200,
    "series": 60,
    "venue": 200,
    "address": 300,
    "street": 40,
    "organizer_unit": 100,
    "description": 20_000,
}
REQUIRED_TEXT = ("title", "venue")
TIME_FIELDS = ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at")
FLAGS = ("waitlist", "family", "ask_company")
EDITABLE = (*TEXT_LIMITS, "kind", *TIME_FIELDS, "capacity", "max_party_size", *FLAGS)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError
    if any(char in CONTROL_CHARS for char in value):
        raise ValueError
    return value.strip()


def _time(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return aware(value)
    if isinstance(value, str):
        return parse_local(value)
    raise TypeError


def _int(value: Any) -> int:
    if isinstance(value, bool):
        raise TypeError
    if isinstance(value, int):
        return value
    if (number := numbers.signed(value)) is not None:
        return number
    raise TypeError


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"1", "true", "on", "yes"}:
        return True
    if isinstance(value, str) and value.lower() in {"0", "false", "off", "no", ""}:
        return False
    raise TypeError


def clean_event_fields(raw: dict[str, Any], existing: dict | None = None) -> dict[str, Any]:
    """Validate the fields given in `raw`; with `existing`, unspecified fields keep their value."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for name, limit in TEXT_LIMITS.items():
        if name not in raw:
            continue
        try:
            value = _text(raw[name] if raw[name] is not None else "")
        except TypeError:
            errors[name] = _("请填写文字")
            continue
        except ValueError:
            errors[name] = _("包含无效的控制字符")
            continue
        if name in REQUIRED_TEXT and not value:
            errors[name] = _("此项必填")
        elif len(value) > limit:
            errors[name] = _("不能超过 {n} 个字").format(n=limit)
        else:
            clean[name] = value
    if "kind" in raw:
        if raw["kind"] in KINDS:
            clean["kind"] = raw["kind"]
        else:
            errors["kind"] = _("未知的活动类型")
    for name in TIME_FIELDS:
        if name not in raw:
            continue
        try:
            value = _time(raw[name])
        except (TypeError, ValueError):
            errors[name] = _("时间格式不正确")
            continue
        if value is not None and not in_years(value):
            errors[name] = _("时间应在 {low} 年到 {high} 年之间").format(
                low=MIN_YEAR, high=MAX_YEAR
            )
            continue
        if value is None and name in ("starts_at", "ends_at"):
            errors[name] = _("此项必填")
        else:
            clean[name] = value
    for name, low, high in (("capacity", 1, MAX_CAPACITY), ("max_party_size", 1, MAX_PARTY)):
        if name not in raw:
            continue
        try:
            value = _int(raw[name])
        except TypeError:
            errors[name] = _("请填写整数")
            continue
        if not low <= value <= high:
            errors[name] = _("应在 {low} 到 {high} 之间").format(low=low, high=high)
        else:
            clean[name] = value
    for name in FLAGS:
        if name not in raw:
            continue
        try:
            clean[name] = _bool(raw[name])
        except TypeError:
            errors[name] = _("请选择是或否")
    if existing is None:
        for name in ("title", "kind", "venue", "starts_at", "ends_at", "capacity"):
            if name not in raw and name not in errors:
                errors[name] = _("此项必填")
    _check_together({**(existing or {}), **clean}, errors, changed=set(clean))
    if errors:
        first = next(iter(errors.items()))
        raise Invalid(f"{first[0]}: {first[1]}", errors)
    return clean


def _check_together(merged: dict[str, Any], errors: dict[str, str], changed: set[str]) -> None:
    starts, ends = merged.get("starts_at"), merged.get("ends_at")
    if starts and ends and ends <= starts and "ends_at" not in errors:
        errors["ends_at"] = _("结束时间必须晚于开始时间")
    opens, closes = merged.get("registration_opens_at"), merged.get("registration_closes_at")
    if opens and closes and closes <= opens and "registration_closes_at" not in errors:
        errors["registration_closes_at"] = _("报名截止时间必须晚于报名开始时间")
    window_changed = changed & {"registration_opens_at", "registration_closes_at"}
    if closes and not opens and window_changed and closes <= now():
        errors["registration_closes_at"] = _("报名截止时间不能早于现在")
    if closes and ends and closes > ends and "registration_closes_at" not in errors:
        errors["registration_closes_at"] = _("报名截止时间不能晚于活动结束时间")
    if opens and ends and opens >= ends and "registration_opens_at" not in errors:
        errors["registration_opens_at"] = _("报名开始时间必须早于活动结束时间")
    capacity, party = merged.get("capacity"), merged.get("max_party_size")
    if capacity and party and party > capacity and "max_party_size" not in errors:
        errors["max_party_size"] = _("每单人数不能超过活动名额")


def event_dict(row: dict) -> dict[str, Any]:
    """The event object of the API (and the pages' view of one event)."""
    seats_left = max(row["capacity"] - row["confirmed"], 0)
    closes = row["registration_closes_at"] or row["ends_at"]
    return {
        "id": row["id"],
        "title": row["title"],
        "kind": row["kind"],
        "series": row["series"],
        "description": row["description"],
        "starts_at": iso(row["starts_at"]),
        "ends_at": iso(row["ends_at"]),
        "venue": row["venue"],
        "address": row["address"],
        "street": row["street"],
        "organizer_unit": row["organizer_unit"],
        "capacity": row["capacity"],
        "confirmed": row["confirmed"],
        "waitlisted": row["waitlisted"],
        "seats_left": seats_left,
        "waitlist": row["waitlist"],
        "max_party_size": row["max_party_size"],
        "family": row["family"],
        "ask_company": row["ask_company"],
        "registration_opens_at": iso(row["registration_opens_at"] or row["created_at"]),
        "registration_closes_at": iso(closes),
        "status": row["status"],
    }


def registration_state(row: dict, at: datetime | None = None) -> str:
    """`open`, `not_yet`, `closed`, `full` (no seats, no waitlist) or `waitlist` (seats gone)."""
    at = at or now()
    if row["status"] != "published":
        return "closed"
    opens = row["registration_opens_at"]
    closes = row["registration_closes_at"] or row["ends_at"]
    if opens and at < opens:
        return "not_yet"
    if at >= closes:
        return "closed"
    if row["confirmed"] >= row["capacity"]:
        return "waitlist" if row["waitlist"] else "full"
    return "open"


async def get_event(event_id: int, include_unpublished: bool = False) -> dict:
    if not 1 <= event_id <= MAX_ID:
        raise NotFound(_("没有找到这个活动"))
    row = await Event.select().where(Event.id == event_id).first()
    if row is None or (row["status"] == "draft" and not include_unpublished):
        raise NotFound(_("没有找到这个活动"))
    return row


async def create_event(raw: dict[str, Any], actor: dict | None) -> dict:
    values = clean_event_fields(raw)
    status = raw.get("status") or "published"
    if status not in ("published", "draft"):
        raise Invalid(_("新活动的状态只能是已发布或草稿"), {"status": _("只能是已发布或草稿")})
    values["status"] = status
    values.setdefault("max_party_size", 1)
    values.setdefault("waitlist", True)
    async with write_transaction():
        rows = await Event.insert(
            Event(**values, created_by=actor["id"] if actor else None)
        ).returning(*Event.all_columns())
        event = rows[0]
        await audit.record(actor, "event.create", "event", event["id"], after=_snapshot(event))
    return event


def _snapshot(row: dict) -> dict:
    return {key: row[key] for key in (*EDITABLE, "status")}


# What follows from a change of an event (registrations revoked when it is cancelled, the
# waitlist moving up when seats are added, cached forms refreshed) belongs to registration,
# which registers hooks here: scheduling never imports registration. Each hook runs inside the
# change's transaction with the rows before and after, and may note what it did on `after`.
ChangeHook = Callable[[dict, dict], Awaitable[None]]
_change_hooks: list[ChangeHook] = []


def on_event_change(hook: ChangeHook) -> ChangeHook:
    if hook not in _change_hooks:
        _change_hooks.append(hook)
    return hook


_TRANSITIONS = {
    ("draft", "published"),
    ("draft", "cancelled"),
    ("published", "cancelled"),
}


async def update_event(event_id: int, raw: dict[str, Any], actor: dict | None) -> dict:
    """Apply a partial change; `status` publishes or cancels."""
    async with write_transaction():
        before = await get_event(event_id, include_unpublished=True)
        status = raw.get("status")
        if status is not None and status not in ("draft", "published", "cancelled"):
            raise Invalid(_("未知的状态"), {"status": _("未知的状态")})
        changes = {key: value for key, value in raw.items() if key != "status"}
        if before["status"] == "cancelled" and (changes or status not in (None, "cancelled")):
            raise InvalidTransition(_("活动已取消，不能再修改"))
        if status and status != before["status"] and (before["status"], status) not in _TRANSITIONS:
            raise InvalidTransition(
                _("活动不能从“{a}”改为“{b}”").format(a=before["status"], b=status)
            )
        values = clean_event_fields(changes, existing=before)
        if status:
            values["status"] = status
        values["updated_at"] = now()
        query = Event.update(values).where(Event.id == event_id)
        if "capacity" in values:
            # Conditional: never below the seats already taken, whatever ran concurrently.
            query = query.where(Event.confirmed <= values["capacity"])
        updated = await query.returning(*Event.all_columns())
        if not updated:
            raise CapacityBelowConfirmed(
                _("名额不能少于已确认的 {n} 个座位").format(n=before["confirmed"])
            )
        after = updated[0]
        for hook in _change_hooks:
            await hook(before, after)
        old, new = audit.changed(_snapshot(before), _snapshot(after))
        action = {"published": "event.publish", "cancelled": "event.cancel"}.get(
            status if status != before["status"] else "", "event.update"
        )
        await audit.record(actor, action, "event", event_id, before=old, after=new)
    return after


# A session marker at the end of a title: "（第3期）" or "(第3期)", spaces allowed around.
_SESSION_MARK = re.compile(r"(?P<gap>\s*)(?P<open>[（(])\s*第\s*(?P<n>\d{1,6})\s*期\s*[）)]\s*$")


def next_session_title(title: str) -> str:
    """The title of the next session: "…（第3期）" → "…（第4期）", else "…（第2期）" appended.

    The marker is part of the event's data (shown as typed to the public), not interface text,
    so it is not translated. Within the title limit, the base is cut, never the marker.
    """
    match = _SESSION_MARK.search(title)
    if match:
        base, gap, number = title[: match.start()], match["gap"], int(match["n"]) + 1
        opening = match["open"]
    else:
        base, gap, number, opening = title.rstrip(), "", 2, "（"
    marker = f"{gap}{opening}第{number}期{'）' if opening == '（' else ')'}"
    base = base[: max(TEXT_LIMITS["title"] - len(marker), 0)].rstrip()
    return (base + marker).strip()


async def duplicate_event(event_id: int, actor: dict | None, days: int = 7) -> dict:
    """The next session of a recurring series: same details and registration questions,
    `days` later, as a draft titled with the next session number."""
    if not 1 <= days <= 366:
        raise Invalid(_("间隔天数应在 1 到 366 之间"), {"days": _("应在 1 到 366 之间")})
    shift = timedelta(days=days)
    async with write_transaction():  # the copy, its questions and the audit: all or nothing
        source = await get_event(event_id, include_unpublished=True)
        raw = {key: source[key] for key in (*TEXT_LIMITS, "kind", "capacity", *FLAGS)}
        raw["title"] = next_session_title(source["title"])
        raw["max_party_size"] = source["max_party_size"]
        try:
            raw["starts_at"] = source["starts_at"] + shift
            raw["ends_at"] = source["ends_at"] + shift
        except OverflowError:  # only an event stored before times were range-checked
            raise Invalid(_("时间格式不正确"), {"days": _("时间格式不正确")}) from None
        raw["status"] = "draft"
        event = await create_event(raw, actor)
        questions = await _copy_questions(event_id, event["id"])
        after: dict[str, Any] = {"source": event_id}
        if questions:
            after["questions"] = [q["label"] + ("*" if q["required"] else "") for q in questions]
        await audit.record(actor, "event.duplicate", "event", event["id"], after=after)
    return event


async def _copy_questions(source_id: int, target_id: int) -> list[dict]:
    """Copy the source's active registration questions (archived ones have a negative
    position) to the target, in their order, with kind, options and the required flag."""
    rows = await (
        Question.select(Question.label, Question.kind, Question.options, Question.required)
        .where((Question.event == source_id) & (Question.position >= 0))
        .order_by(Question.position)
        .order_by(Question.id)
        .output(load_json=True)
    )
    if rows:
        await Question.insert(
            *(
                Question(
                    event=target_id,
                    position=position,
                    label=row["label"],
                    kind=row["kind"],
                    options=list(row["options"] or []),
                    required=row["required"],
                )
                for position, row in enumerate(rows)
            )
        )
    return rows
