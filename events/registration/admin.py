"""Organizer actions on an event's registrations (cancel, restore, move, list) and its questions.

The locking design of `events.registration.registration`: each change is one
`write_transaction()` whose first step locks the event row (`_lock_event`; a move locks both
rows in id order, so two moves cannot deadlock); counters, registration, outbox message and
audit entry commit together.
Organizers are not bound by the registration window, only by the event being on and not over.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from typing import Any

from events.accounts import audit
from events.core import numbers
from events.core.db import write_transaction
from events.core.errors import Conflict, Invalid, NotFound
from events.core.i18n import gettext as _
from events.core.phones import mask
from events.core.timeutil import now
from events.core.validation import CONTROL_CHARS, MAX_ID
from events.notify import messages
from events.registration import form as registration_form
from events.registration import registration as reg
from events.scheduling.scheduling import get_event
from events.tables import Event, Question, Registration

STATUSES = ("confirmed", "waitlisted", "cancelled")
QUESTION_KINDS = ("text", "single", "multiple")
MAX_QUESTIONS, MAX_LABEL, MAX_OPTION, MIN_OPTIONS, MAX_OPTIONS, MAX_REASON = 20, 200, 50, 2, 20, 200
BAD_CHARS = CONTROL_CHARS | {"\n", "\r", "\t"}
SHOWN = (
    "id", "name", "status", "party_size", "seq", "adults", "children", "company", "source",
    "checked_in_at", "cancelled_by",
)  # fmt: skip
# Filters beyond a status: confirmed people who have (not yet) been checked in.
CHECK_FILTERS = {
    "checked_in": "status = 'confirmed' AND checked_in_at IS NOT NULL",
    "not_checked_in": "status = 'confirmed' AND checked_in_at IS NULL",
}
SHOWN += ("created_at", "cancelled_by", "checked_in_at")
ORDER = "CASE status WHEN 'confirmed' THEN 0 WHEN 'waitlisted' THEN 1 ELSE 2 END, seq, id"


def _refusal(name: str, code: str) -> type[Conflict]:
    """A Conflict subclass with its own `code` (the web layer maps every Conflict to 409)."""
    return type(name, (Conflict,), {"code": code, "__module__": __name__})


EventClosed = _refusal("EventClosed", "event_closed")  # cancelled, draft or over
PhoneActive = _refusal("PhoneActive", "phone_active")  # the phone is active in that event
NotActive = _refusal("NotActive", "not_active")  # a cancelled registration cannot move
MoveRefused = _refusal("MoveRefused", "move_refused")
RestoreRefused = _refusal("RestoreRefused", "restore_refused")


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


async def get_registration(registration_id: Any, event_id: int | None = None) -> dict:
    """The registration, or NotFound (also when it belongs to another event than `event_id`)."""
    query = Registration.select().where(Registration.id == registration_id)
    row = await query.first() if _is_id(registration_id) else None
    if row is None or (event_id is not None and row["event"] != event_id):
        raise NotFound(_("没有找到这条报名"))
    return row


def _check_on(event: dict) -> None:
    if event["status"] != "published":
        raise EventClosed(_("活动已取消或未发布，不能更改报名"))
    if event["ends_at"] <= now():
        raise EventClosed(_("活动已结束，不能再更改报名"))


async def _check_phone_free(event_id: int, phone: str | None, registration_id: int) -> None:
    same = (Registration.event == event_id) & (Registration.phone == phone)
    other = (Registration.status != "cancelled") & (Registration.id != registration_id)
    if phone and await Registration.exists().where(same & other):
        raise PhoneActive(_("这个手机号在该活动已有有效报名"))


async def _place(event: dict, seats: int) -> tuple[int, str]:
    """Seats if the party fits (a conditional UPDATE, like CLAIM), else the end of the
    waitlist (a new sequence number either way)."""
    rows = await Event.raw(
        "UPDATE event SET confirmed = confirmed + {}, registration_seq = registration_seq + 1"
        " WHERE id = {} AND confirmed + {} <= capacity RETURNING registration_seq",
        *(seats, event["id"], seats),
    )
    if rows:
        event["confirmed"] += seats
        return rows[0]["registration_seq"], "confirmed"
    if not event["waitlist"]:
        raise reg.EventFull(_("名额已满，且此活动不设候补"))
    rows = await Event.raw(
        "UPDATE event SET waitlisted = waitlisted + {}, waiting = waiting + 1,"
        " registration_seq = registration_seq + 1 WHERE id = {} RETURNING registration_seq",
        *(seats, event["id"]),
    )
    event["waitlisted"] += seats
    return rows[0]["registration_seq"], "waitlisted"


@contextmanager
def _phone_conflicts():
    """The partial unique index's refusal, as the domain error."""
    try:
        yield
    except Exception as error:
        if reg._is_unique_violation(error):
            raise PhoneActive(_("这个手机号在该活动已有有效报名")) from error
        raise


async def _settle(event: dict, row: dict, status: str, seq: int, extra: dict | None = None) -> dict:
    """Write the registration's new place, queue its message; the row with its position."""
    values = dict(event=event["id"], status=status, seq=seq, cancelled_at=None, cancelled_by="")
    values["confirmed_at"] = now() if status == "confirmed" else None
    await Registration.update(values).where(Registration.id == row["id"])
    if status == "confirmed" and row.get("checked_in_at"):  # back in, with its check-in
        await Event.raw(
            "UPDATE event SET checked_in = checked_in + {} WHERE id = {}",
            row["party_size"],
            event["id"],
        )
    row.update(values)
    position = await reg.waitlist_position(event["id"], seq) if status == "waitlisted" else None
    payload = {**reg._payload(event, row, position), **(extra or {})}
    key = f"{row['id']}:{seq}:e{event['id']}"  # sequence numbers repeat across events
    await messages.enqueue(status, row, dedupe=key, payload=payload)
    return {**row, "waitlist_position": position}


def _clean_reason(reason: Any) -> str:
    text, problem = _clean_text(reason or "", MAX_REASON)
    if problem:
        raise Invalid(problem, {"reason": problem})
    return text


async def organizer_cancel(
    registration_id: int, actor: dict | None, reason: str = "", event_id: int | None = None
) -> dict:
    """Cancel as the organizer: `registration.cancel` frees the seats and promotes; the reason
    goes into the resident's message and the audit entry. Idempotent."""
    reason = _clean_reason(reason)
    found = await get_registration(registration_id, event_id)
    async with write_transaction():
        event = await reg._lock_event(found["event"])
        row = await get_registration(found["id"], found["event"])  # moved meanwhile: 404
        if row["status"] == "cancelled":
            return row
        _check_on(event)
        # Joins this transaction (Piccolo nests into the open one): one commit for everything.
        cancelled = await reg.cancel(
            row["ticket_token"], by="organizer", actor=actor, reason=reason
        )
    return cancelled


async def restore(registration_id: int, actor: dict | None, event_id: int | None = None) -> dict:
    """A cancelled registration comes back: confirmed if its party fits the seats left, else at
    the end of the waitlist (a new sequence number). Restoring an active one changes nothing."""
    found = await get_registration(registration_id, event_id)
    with _phone_conflicts():
        async with write_transaction():
            event = await reg._lock_event(found["event"])
            row = await get_registration(found["id"], found["event"])  # moved meanwhile: 404
            if row["status"] != "cancelled":
                return row
            _check_on(event)
            if not row["phone"]:
                raise RestoreRefused(_("这条报名的个人信息已匿名化，不能恢复"))
            await _check_phone_free(event["id"], row["phone"], row["id"])
            seq, status = await _place(event, row["party_size"])
            restored = await _settle(event, row, status, seq)
            change = {"before": {"status": "cancelled"}, "after": {"status": status}}
            await audit.record(actor, "registration.restore", "registration", row["id"], **change)
    return restored


async def move(
    registration_id: int, to_event_id: Any, actor: dict | None, event_id: int | None = None
) -> dict:
    """Move a person to another event, keeping the ticket token: seats (or the waitlist) in the
    target, the source's seats released and given to its waitlist."""
    found = await get_registration(registration_id, event_id)
    if not _is_id(to_event_id):
        raise NotFound(_("没有找到这个活动"))
    if to_event_id == found["event"]:
        raise MoveRefused(_("已经在这场活动中，请选择另一场"))
    with _phone_conflicts():
        async with write_transaction():
            ids = sorted((found["event"], to_event_id))
            locked = {locked_id: await reg._lock_event(locked_id) for locked_id in ids}
            source, target = locked[found["event"]], locked[to_event_id]
            row = await get_registration(found["id"], found["event"])  # moved meanwhile: 404
            if row["status"] == "cancelled":
                raise NotActive(_("已取消的报名不能移动，请先恢复"))
            if row["checked_in_at"]:
                raise MoveRefused(_("已签到的报名不能移动"))
            _check_on(source)
            _check_on(target)
            if row["party_size"] > target["max_party_size"]:
                raise MoveRefused(_("目标活动每单最多 {n} 人").format(n=target["max_party_size"]))
            await _check_phone_free(target["id"], row["phone"], row["id"])
            before = row["status"]
            seq, status = await _place(target, row["party_size"])
            await reg._release(source, row)
            moved = await _settle(target, row, status, seq, {"moved_from": source["title"]})
            change = {
                "before": {"event": source["id"], "status": before},
                "after": {"event": target["id"], "status": status},
            }
            await audit.record(actor, "registration.move", "registration", row["id"], **change)
            if before == "confirmed":
                await reg.promote(source)
    return moved


def _search_clause(search: str | None) -> tuple[str, list]:
    """Name contains the text; 4 digits: the phone's last four; 11 digits: the phone."""
    term = (search or "").strip()[:50]
    if numbers.is_digits(term) and len(term) in (4, 11):
        return " AND phone LIKE {}", [("%" if len(term) == 4 else "") + term]
    cleaned = "".join(char for char in term if char not in "%_\\").lower()
    return (" AND LOWER(name) LIKE {}", [f"%{cleaned}%"]) if term else ("", [])


async def counts(event_id: int) -> dict[str, dict[str, int]]:
    """Registrations and people per status."""
    rows = await Registration.raw(
        "SELECT status, COUNT(*) AS n, COALESCE(SUM(party_size), 0) AS people"
        " FROM registration WHERE event = {} GROUP BY status",
        event_id,
    )
    found = {row["status"]: (int(row["n"]), int(row["people"])) for row in rows}
    return {s: dict(zip(("count", "people"), found.get(s, (0, 0)), strict=True)) for s in STATUSES}


def _answers(questions: list[dict], answers: Any) -> list[tuple[str, str]]:
    """(label, answer) for the event's current questions."""
    given = json.loads(answers or "{}") if isinstance(answers, str) else answers or {}
    pairs = [(q["label"], given.get(str(q["id"]))) for q in questions]
    return [(label, "、".join(v) if isinstance(v, list) else v) for label, v in pairs if v]


async def list_registrations(
    event_id: int, status: str | None = None, search: str | None = None, limit=200, offset=0
) -> dict:
    """The event's registrations for the organizer page, masked phones only: confirmed first,
    then the waitlist in order (with positions), then the cancelled."""
    event = await get_event(event_id, include_unpublished=True)
    clause, params = _search_clause(search)
    if status in STATUSES:
        where = "status = {}"
        params = [status, *params]
    else:
        where = CHECK_FILTERS.get(status or "", "TRUE")
    where += clause
    # Positions are numbered over the whole waitlist, before the filters apply.
    rows = await Registration.raw(
        "SELECT *, COUNT(*) OVER () AS total FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY"
        " status ORDER BY seq) AS position FROM registration WHERE event = {}) AS r"
        f" WHERE {where} ORDER BY {ORDER} LIMIT {{}} OFFSET {{}}",
        *(event_id, *params, limit, offset),
    )
    questions = await questions_of(event_id)
    shown = [
        {key: row[key] for key in SHOWN}
        | {"phone": mask(row["phone"]), "answers": _answers(questions, row["answers"])}
        | {"position": row["position"] if row["status"] == "waitlisted" else None}
        for row in rows
    ]
    total = int(rows[0]["total"]) if rows else 0
    return {"event": event, "counts": await counts(event_id), "rows": shown, "total": total}


async def move_targets(event_id: int, limit: int = 40) -> list[dict]:
    """Upcoming published events to move a person to: the same series first, then by start."""
    event = await get_event(event_id, include_unpublished=True)
    return await Event.raw(
        "SELECT id, title, series, starts_at, (series = {} AND series <> '') AS same_series"
        " FROM event WHERE status = 'published' AND starts_at > {} AND id <> {}"
        " ORDER BY same_series DESC, starts_at, id LIMIT {}",
        *(event["series"], now(), event_id, limit),
    )


ARCHIVED = -1  # Question.position of a removed question


async def questions_of(event_id: int) -> list[dict]:
    """The event's questions in order, options as a list."""
    query = (
        Question.select()
        .where((Question.event == event_id) & (Question.position != ARCHIVED))
        .order_by(Question.position)
    )
    return await query.order_by(Question.id).output(load_json=True)


def _clean_text(value: Any, limit: int) -> tuple[str, str | None]:
    text = value.strip() if isinstance(value, str) else ""
    if not isinstance(value, str):
        return "", _("请填写文字")
    if any(char in BAD_CHARS for char in text):
        return text, _("包含无效字符")
    if len(text) > limit:
        return text, _("不能超过 {n} 个字").format(n=limit)
    return text, None


def _clean_question(index: int, raw: Any, errors: dict[str, str]) -> dict:
    """Clean values of one question; messages go to `errors` under `<index>.<field>`."""
    raw, at = raw if isinstance(raw, dict) else {}, f"{index}."
    label, problem = _clean_text(raw.get("label"), MAX_LABEL)
    if problem or not label:
        errors[at + "label"] = problem or _("此项必填")
    if (kind := raw.get("kind")) not in QUESTION_KINDS:
        errors[at + "kind"] = _("请选择题型")
    options: list[str] = []
    given = raw.get("options") if kind in ("single", "multiple") else []
    for item in given if isinstance(given, list) else [None]:
        option, problem = _clean_text(item, MAX_OPTION)
        if problem:
            errors[at + "options"] = _("选项：") + problem
        elif option:
            options.append(option)
    if kind in ("single", "multiple") and at + "options" not in errors:
        if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
            message = _("选择题需要 {low} 到 {high} 个选项")
            errors[at + "options"] = message.format(low=MIN_OPTIONS, high=MAX_OPTIONS)
        elif len(set(options)) != len(options):
            errors[at + "options"] = _("选项不能重复")
    if (question_id := raw.get("id")) is not None and not _is_id(question_id):
        errors[at + "label"] = _("问题编号不正确")
    if not isinstance(required := raw.get("required", False), bool):
        errors[at + "required"] = _("请选择是或否")
    return dict(id=question_id, label=label, kind=kind, options=options, required=required)


def _summary(questions: list[dict]) -> list[str]:
    return [q["label"] + ("*" if q["required"] else "") for q in questions]


def _shape(questions: list[dict]) -> list[tuple]:
    return [(q["label"], q["kind"], list(q["options"] or []), q["required"]) for q in questions]


async def set_questions(event_id: int, questions: Any, actor: dict | None) -> list[dict]:
    """Replace the event's custom questions (a list of {id?, label, kind, options, required}).

    Labels, options and `required` may change at any time; a question's type may not once
    someone has registered (their answers would no longer fit). A removed question's answers
    stay in each registration's `answers`. `Invalid` has a message per `<index>.<field>`.
    """
    if not isinstance(questions, list):
        raise Invalid(_("问题格式不正确"))
    errors: dict[str, str] = {}
    clean = [_clean_question(index, raw, errors) for index, raw in enumerate(questions)]
    if len(clean) > MAX_QUESTIONS:
        errors["questions"] = _("最多 {n} 个问题").format(n=MAX_QUESTIONS)
    for index, label in enumerate(labels := [q["label"] for q in clean]):
        if label and labels.index(label) < index:
            errors.setdefault(f"{index}.label", _("问题不能重复"))
    async with write_transaction():
        event = await reg._lock_event(event_id)
        if event["status"] == "cancelled":
            raise EventClosed(_("活动已取消，不能再修改"))
        existing = {q["id"]: q for q in await questions_of(event_id)}
        registered = await Registration.exists().where(Registration.event == event_id)
        for index, question in enumerate(clean):
            old = existing.get(question["id"])
            if question["id"] is not None and old is None:
                errors.setdefault(f"{index}.label", _("这个问题已不存在，请刷新后重试"))
            elif old and registered and old["kind"] != question["kind"]:
                errors[f"{index}.kind"] = _("已有人报名，不能修改题型；可删除后重新添加")
        if errors:
            raise Invalid(_("问题有误，请修正标出的项目"), errors)
        for position, question in enumerate(clean):
            values = {key: question[key] for key in ("label", "kind", "options", "required")}
            values["position"] = position
            if question["id"] is None:
                await Question.insert(Question(event=event_id, **values))
            else:
                await Question.update(values).where(Question.id == question["id"])
        # A removed question is archived (position -1), not deleted: its answers stay in the
        # registrations, and SQLite (which gives a new row the highest id + 1) can never hand
        # its id to a question added later, under which those answers would then show.
        if removed := set(existing) - {q["id"] for q in clean}:
            await Question.update({Question.position: ARCHIVED}).where(
                Question.id.is_in(list(removed))
            )
        after = await questions_of(event_id)
        before = sorted(existing.values(), key=lambda q: (q["position"], q["id"]))
        if _shape(before) != _shape(after):
            change = {"before": {"questions": _summary(before)}}
            change["after"] = {"questions": _summary(after)}
            await audit.record(actor, "event.questions", "event", event_id, **change)
    registration_form.forget_forms()  # this worker's forms show the new questions at once
    return after
