"""What a registration form (or API body) must hold: validated into clean values.

Name, mobile number, party size (adults and children on parent-child events), the company on
enterprise events, an optional e-mail, answers to the organizer's questions, and consent.
"""

from __future__ import annotations

import re
import time
from typing import Any

from events.core import numbers
from events.core.errors import Invalid
from events.core.i18n import gettext as _
from events.core.phones import normalise
from events.core.validation import CONTROL_CHARS
from events.tables import Event, Question

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")
MAX_ANSWER = 500


def _text(raw: dict, name: str, limit: int, errors: dict, required: bool = False) -> str:
    value = raw.get(name)
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[name] = _("请填写文字")
        return ""
    value = value.strip()
    if any(char in CONTROL_CHARS or char in "\n\r\t" for char in value):
        errors[name] = _("包含无效字符")
    elif required and not value:
        errors[name] = _("此项必填")
    elif len(value) > limit:
        errors[name] = _("不能超过 {n} 个字").format(n=limit)
    return value


def _count(raw: dict, name: str, errors: dict, default: int | None) -> int | None:
    value = raw.get(name, default)
    if value is None or value == "":
        return default
    if isinstance(value, str) and (number := numbers.whole(value)) is not None:
        value = number
    if isinstance(value, bool) or not isinstance(value, int):
        errors[name] = _("请填写整数")
        return None
    return value


FORM_CACHE_SECONDS = 2.0
_forms: dict[int, tuple[float, dict | None, list[dict]]] = {}


async def _form(event_id: int) -> tuple[dict | None, list[dict]]:
    """An event's row and questions, kept for a moment: a rush reads them thousands of times.

    Only the form's rules come from here (party size limit, family, company, questions); the
    seats, status and window are checked by the registering statement itself.
    """
    cached = _forms.get(event_id)
    if cached and cached[0] > time.monotonic():
        return cached[1], cached[2]
    event = await Event.select().where(Event.id == event_id).first()
    questions = (
        await Question.select()
        .where((Question.event == event_id) & (Question.position >= 0))  # not archived
        .order_by(Question.position)
        .output(load_json=True)
        if event
        else []
    )
    if len(_forms) > 1000:
        _forms.clear()
    _forms[event_id] = (time.monotonic() + FORM_CACHE_SECONDS, event, questions)
    return event, questions


async def event_for_form(event_id: int) -> dict | None:
    return (await _form(event_id))[0]


async def questions_of(event_id: int) -> list[dict]:
    return (await _form(event_id))[1]


def forget_forms() -> None:
    """Drop cached forms (after an organizer edits an event or its questions; tests)."""
    _forms.clear()


def _answers(questions: list[dict], raw: Any, errors: dict) -> dict[str, Any]:
    given = raw if isinstance(raw, dict) else {}
    if raw not in (None, "") and not isinstance(raw, dict):
        errors["answers"] = _("回答格式不正确")
    answers: dict[str, Any] = {}
    for question in questions:
        key = str(question["id"])
        value = given.get(key, given.get(question["label"]))
        field = f"q{question['id']}"
        options = question["options"] or []
        if question["kind"] == "multiple":
            chosen = value if isinstance(value, list) else ([value] if value else [])
            if any(not isinstance(item, str) or item not in options for item in chosen):
                errors[field] = _("请从选项中选择")
            elif question["required"] and not chosen:
                errors[field] = _("此项必填")
            else:
                answers[key] = chosen
            continue
        text = value.strip() if isinstance(value, str) else ""
        if value is not None and not isinstance(value, str):
            errors[field] = _("请填写文字")
        elif question["kind"] == "single" and text and text not in options:
            errors[field] = _("请从选项中选择")
        elif question["required"] and not text:
            errors[field] = _("此项必填")
        elif len(text) > MAX_ANSWER:
            errors[field] = _("不能超过 {n} 个字").format(n=MAX_ANSWER)
        elif any(char in CONTROL_CHARS for char in text):
            errors[field] = _("含有无法识别的字符")
        elif text:
            answers[key] = text
    return answers


async def clean_registration(
    event: dict, raw: dict[str, Any], phone_optional: bool = False
) -> dict[str, Any]:
    """Clean values for a Registration row, or `Invalid` with a message per field.

    `phone_optional`: staff registering someone at the door who has no mobile phone.
    """
    if not isinstance(raw, dict):
        raise Invalid(_("报名信息格式不正确"))
    errors: dict[str, str] = {}
    values: dict[str, Any] = {"name": _text(raw, "name", 50, errors, required=True)}
    if phone_optional and (raw.get("phone") is None or str(raw.get("phone")).strip() == ""):
        values["phone"] = None
    else:
        try:
            values["phone"] = normalise(raw.get("phone"))
        except Invalid as error:
            errors.update(error.fields)
    values["email"] = _text(raw, "email", 200, errors)
    if values["email"] and not EMAIL.match(values["email"]):
        errors["email"] = _("邮箱格式不正确")
    values["company"] = _text(raw, "company", 100, errors, required=event["ask_company"])
    if event["family"]:
        adults = _count(raw, "adults", errors, 1)
        children = _count(raw, "children", errors, 0)
        if adults is not None and adults < 1:
            errors["adults"] = _("至少 1 位成人")
        if children is not None and children < 0:
            errors["children"] = _("人数不能为负")
        party = (adults or 0) + (children or 0)
        values.update(adults=adults or 0, children=children or 0)
        party_field = "children"
    else:
        party = _count(raw, "party_size", errors, 1)
        values.update(adults=party or 0, children=0)
        party_field = "party_size"
    if party is not None and party_field not in errors and "adults" not in errors:
        if party < 1:
            errors[party_field] = _("人数至少为 1")
        elif party > event["max_party_size"]:
            errors[party_field] = _("每单最多 {n} 人").format(n=event["max_party_size"])
    values["party_size"] = party or 0
    values["answers"] = _answers(await questions_of(event["id"]), raw.get("answers"), errors)
    if raw.get("consent") is False or raw.get("consent") in ("", "false", "0", "off"):
        errors["consent"] = _("请阅读并同意个人信息说明")
    if errors:
        first = next(iter(errors.items()))
        raise Invalid(f"{first[0]}: {first[1]}", errors)
    return values
