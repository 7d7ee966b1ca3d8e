"""The texts of the messages to residents, per kind: a short SMS and an e-mail.

Source strings are Chinese and go through `_()`. An SMS is a template code (the message kind)
and its parameters, because Chinese SMS providers only send pre-approved, signed templates:
`SMS_TEMPLATES` holds our wording of each, which a provider's console must mirror. Confirmation
and promotion e-mails carry the event as an `.ics` attachment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from string import Formatter
from typing import Any

from icalendar import Calendar
from icalendar import Event as CalendarEvent

from events.core.i18n import DEFAULT_LOCALE, current_locale
from events.core.i18n import gettext as _
from events.core.settings import get_settings
from events.core.timeutil import local, now

SMS_SIGNATURE = "【运河科创】"
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
WEEKDAYS_ZH = "一二三四五六日"
WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WITH_ICS = ("confirmed", "promoted")


def sms_templates() -> dict[str, str]:
    """The SMS wording per kind; `{name}`-style parameters, filled by `sms_text`."""
    return {
        "confirmed": _("{name}，您已报名成功：{title}，{time}，{venue}。电子票：{link}"),
        "waitlisted": _(
            "{name}，{title} 名额已满，您在候补第 {position} 位，有空位将自动递补并通知您。"
            "查看：{link}"
        ),
        "promoted": _("{name}，您已由候补转为正式报名：{title}，{time}，{venue}。电子票：{link}"),
        "cancelled": _("{name}，您已取消报名：{title}（{time}）。"),
        "cancelled_reason": _("{name}，主办方取消了您的报名：{title}（{time}）。原因：{reason}"),
        "cancelled_by_organizer": _(
            "{name}，主办方取消了您的报名：{title}（{time}）。如有疑问请联系主办单位。"
        ),
        "event_cancelled": _("{name}，很抱歉，活动“{title}”（{time}）已取消，您的报名随之取消。"),
        "reminder": _("{name}，提醒您明天参加：{title}，{time}，{venue}。入场请出示电子票：{link}"),
        "code": _("您的验证码是 {code}，{minutes} 分钟内有效。如非本人操作，请忽略本短信。"),
        "entry_received": _(
            "{name}，作品《{work}》已提交至“{title}”，作品编号 {code}。查看或撤回：{link}"
        ),
        "entry_rejected": _(
            "{name}，作品《{work}》（{code}）未通过审核，原因：{reason}。详情：{link}"
        ),
        "entry_selected": _(
            "{name}，恭喜！作品《{work}》（{code}）在“{title}”中入选，获{award}。证书：{link}"
        ),
        "entry_not_selected": _(
            "{name}，“{title}”评选结果已公布，作品《{work}》（{code}）本次未入选，感谢参与。{link}"
        ),
    }


def email_subjects() -> dict[str, str]:
    return {
        "confirmed": _("报名成功：{title}"),
        "waitlisted": _("已进入候补：{title}"),
        "promoted": _("候补成功，您已获得名额：{title}"),
        "cancelled": _("已取消报名：{title}"),
        "event_cancelled": _("活动已取消：{title}"),
        "reminder": _("明天见：{title}"),
        "code": _("您的验证码"),
        "entry_received": _("作品已提交：{title}"),
        "entry_rejected": _("作品未通过审核：{title}"),
        "entry_selected": _("作品入选：{title}"),
        "entry_not_selected": _("评选结果：{title}"),
    }


@dataclass(frozen=True)
class Sms:
    template_code: str
    params: dict[str, str]


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # e.g. "text/calendar"
    data: bytes


@dataclass(frozen=True)
class Email:
    subject: str
    body: str
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)


def base_url() -> str:
    """Links in messages: EVENTS_BASE_URL, else the address `events serve` listens on."""
    settings = get_settings()
    return settings.base_url or settings.served_at or DEFAULT_BASE_URL


def ticket_link(token: str) -> str:
    return f"{base_url()}/t/{token}"


def entry_link(token: str) -> str:
    """A contest entry's page (the guardian's, by its token)."""
    return f"{base_url()}/e/{token}"


def _time(value: Any) -> datetime | None:
    if isinstance(value, str) and value:
        return datetime.fromisoformat(value)
    return value if isinstance(value, datetime) else None


def _day(value: datetime) -> str:
    value = local(value)
    if current_locale.get() == "en":
        return f"{WEEKDAYS_EN[value.weekday()]}, {value:%b} {value.day}"
    return f"{value.month}月{value.day}日 周{WEEKDAYS_ZH[value.weekday()]}"


def when(starts: datetime | None, ends: datetime | None = None) -> str:
    """`3月12日 周四 14:00–16:30`, as the pages show it (web.templating.when)."""
    if starts is None:
        return ""
    start = local(starts)
    text = f"{_day(start)} {start:%H:%M}"
    if ends is not None:
        end = local(ends)
        text += f"–{end:%H:%M}" if end.date() == start.date() else f" – {_day(end)} {end:%H:%M}"
    return text


def details(payload: dict[str, Any] | str, event: dict | None = None) -> dict[str, Any]:
    """The payload, with the event's current title, time and place when the event is known."""
    values = json.loads(payload) if isinstance(payload, str) else dict(payload or {})
    if event:
        for key in ("title", "starts_at", "ends_at", "venue", "address"):
            values["event_title" if key == "title" else key] = event[key]
    values["starts_at"] = _time(values.get("starts_at"))
    values["ends_at"] = _time(values.get("ends_at"))
    return values


def template_code(kind: str, values: dict[str, Any]) -> str:
    """The SMS template of a message: the kind, or its variant (an organizer's reason)."""
    if kind == "cancelled" and values.get("reason"):
        return "cancelled_reason"
    if kind == "cancelled" and values.get("by") == "organizer":
        return "cancelled_by_organizer"
    return kind


def _params(values: dict[str, Any]) -> dict[str, str]:
    token = values.get("ticket_token")
    entry = values.get("entry_token")
    position = values.get("waitlist_position")
    return {
        "name": str(values.get("name") or ""),
        "title": str(values.get("event_title") or ""),
        "time": when(values["starts_at"], values["ends_at"]),
        "venue": str(values.get("venue") or ""),
        "link": ticket_link(token) if token else entry_link(entry) if entry else base_url(),
        "position": str(position) if position is not None else "?",
        "code": str(values.get("code") or ""),
        "minutes": str(values.get("minutes") or 5),
        "reason": str(values.get("reason") or ""),
        "work": str(values.get("work") or ""),
        "award": str(values.get("award") or ""),
    }


def too_late(kind: str, values: dict[str, Any], created_at: datetime, at: datetime) -> bool:
    """A message that would only confuse if it went out now (after a long outage): a reminder
    once the event has begun, a code once it has expired."""
    if kind == "reminder":
        return values["starts_at"] is not None and values["starts_at"] <= at
    if kind == "code":
        return created_at + timedelta(minutes=int(values.get("minutes") or 5)) <= at
    return False


def render_sms(kind: str, payload: dict | str, event: dict | None = None) -> Sms:
    if kind not in sms_templates():
        raise KeyError(f"no text for message kind {kind!r}")
    values = details(payload, event)
    code = template_code(kind, values)
    token = current_locale.set(values.get("locale") or DEFAULT_LOCALE)
    try:
        # Only the template's own parameters: providers refuse or mis-fill extra ones.
        used = {part[1] for part in Formatter().parse(sms_templates()[code]) if part[1]}
        return Sms(code, {key: value for key, value in _params(values).items() if key in used})
    finally:
        current_locale.reset(token)


def sms_text(template_code: str, params: dict[str, str], signed: bool = True) -> str:
    """The text an SMS template gives with `params`; providers add the signature themselves."""
    text = sms_templates()[template_code].format(**params)
    return SMS_SIGNATURE + text if signed else text


def render_email(kind: str, payload: dict | str, event: dict | None = None) -> Email:
    if kind not in email_subjects():
        raise KeyError(f"no text for message kind {kind!r}")
    values = details(payload, event)
    token = current_locale.set(values.get("locale") or DEFAULT_LOCALE)
    try:
        params = _params(values)
        subject = email_subjects()[kind].format(**params)
        lines = [sms_text(template_code(kind, values), params, signed=False), ""]
        if values.get("moved_from"):
            lines += [_("（由“{source}”调整到本场）").format(source=values["moved_from"]), ""]
        if kind != "code":
            address = " ".join(filter(None, [params["venue"], values.get("address") or ""]))
            lines += [
                _("活动：{title}").format(**params),
                _("时间：{time}").format(**params),
                _("地点：{place}").format(place=address),
            ]
        if kind in ("confirmed", "promoted", "reminder", "waitlisted"):
            lines.append(_("您的票（可取消报名）：{link}").format(**params))
        if kind in WITH_ICS:
            lines += ["", _("附件中的日历文件可将活动加入您的日历。")]
        lines += ["", "—", _("运河科创活动平台")]
        attachments: tuple[Attachment, ...] = ()
        if kind in WITH_ICS and values["starts_at"] is not None:
            data = ics(values, params["link"])
            attachments = (Attachment("event.ics", "text/calendar", data),)
        return Email(subject, "\n".join(lines) + "\n", attachments)
    finally:
        current_locale.reset(token)


def ics(values: dict[str, Any], link: str) -> bytes:
    """The event as an iCalendar file, like the event page's `calendar.ics`."""
    starts = values["starts_at"]
    calendar = Calendar()
    calendar.add("prodid", "-//Canal Events//运河科创活动平台//ZH")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    item = CalendarEvent()
    item.add("uid", f"event-{values.get('event_id')}@canal-events")
    item.add("dtstamp", now())
    item.add("dtstart", starts)
    item.add("dtend", values["ends_at"] or starts + timedelta(hours=2))
    item.add("summary", values.get("event_title") or "")
    item.add("location", " ".join(filter(None, [values.get("venue"), values.get("address")])))
    item.add("url", link)
    item.add("description", link)
    calendar.add_component(item)
    return calendar.to_ical()
