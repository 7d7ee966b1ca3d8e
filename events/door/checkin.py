"""A scan and its answer: `check_in` for every way in, the door's event, the live counts.

One rule decides every check-in, whatever the way in (camera, typed code, a name found by
the last four digits of the phone, the 签到 button on a ticket URL, an offline device's upload,
a paper sheet, a walk-in): a conditional UPDATE that sets `registration.checked_in_at` only
while it is NULL and the registration is confirmed. So simultaneous scans of one ticket give
exactly one `ok`, and the others `duplicate` with the first time. When the UPDATE finds
nothing, the registration is read and `decision.decide` names the answer. Every attempt,
failures too, is a row of `checkin_scan` (staff, device, method, time, answer). A device may
send a `nonce` with a scan: the nonce is claimed by a unique index in the same transaction,
and a retry with it returns the stored first answer instead of scanning again.

Offline devices upload scans later with the time they were made (`scanned_at`, see
events/door/offline.py): the server keeps the earliest time in `checked_in_at` and answers
`duplicate` to every scan after the one that first checked the ticket in, so the counts never
include a person twice.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from events.core.db import is_sqlite, write_transaction
from events.core.errors import NotFound
from events.core.i18n import gettext as _
from events.core.timeutil import iso, now
from events.core.validation import MAX_ID
from events.door import intake, scan_log
from events.door.decision import decide
from events.door.intake import METHODS
from events.tables import Event, Registration


def masked_name(name: str | None) -> str:
    """`张*` for an offline list or a public screen; an anonymised registration shows `—`."""
    return f"{name[0]}*" if name else "—"


async def event_for_door(event_id: int) -> dict:
    """The event a scanner checks in for: published or cancelled, never a draft."""
    if not isinstance(event_id, int) or not 1 <= event_id <= MAX_ID:
        raise NotFound(_("没有找到这个活动"))
    row = await Event.select().where(Event.id == event_id).first()
    if row is None or row["status"] == "draft":
        raise NotFound(_("没有找到这个活动"))
    return row


_DOOR_EVENTS: dict[int, tuple[float, dict]] = {}
_DOOR_EVENT_TTL = 2.0


async def _door_event(event_id: int) -> dict:
    """`event_for_door`, remembered for two seconds per worker (every scan asks)."""
    cached = _DOOR_EVENTS.get(event_id)
    if cached is not None and time.monotonic() - cached[0] < _DOOR_EVENT_TTL:
        return cached[1]
    event = await event_for_door(event_id)
    if len(_DOOR_EVENTS) > 1000:
        _DOOR_EVENTS.clear()
    _DOOR_EVENTS[event_id] = (time.monotonic(), event)
    return event


def forget_events() -> None:
    """Drop remembered events (tests that switch databases)."""
    _DOOR_EVENTS.clear()


def answer_json(answer: dict) -> dict:
    """An answer as the API and the scanner send it: times as ISO text (+08:00), `event`
    only on a wrong_event answer that can name the ticket's event."""
    checked = answer["checked_in_at"]
    if checked is not None and not isinstance(checked, str):
        checked = iso(checked)
    out = {
        "result": answer["result"],
        "registration": answer["registration"],
        "checked_in_at": checked or None,
    }
    if answer.get("event"):
        out["event"] = answer["event"]
    return out


def _person(row: dict) -> dict:
    return {"id": row["id"], "name": row["name"], "party_size": row["party_size"]}


def _answer(result: str, row: dict | None, checked_in_at: datetime | None) -> dict:
    return {
        "result": result,
        "registration": _person(row) if row is not None else None,
        "checked_in_at": checked_in_at,
    }


async def _event_brief(event_id: int) -> dict | None:
    """{id, title, starts_at} of the event a ticket belongs to (for a wrong_event answer)."""
    row = await (
        Event.select(Event.id, Event.title, Event.starts_at, Event.status)
        .where(Event.id == event_id)
        .first()
    )
    if row is None or row["status"] == "draft":
        return None
    return {"id": row["id"], "title": row["title"], "starts_at": iso(row["starts_at"])}


class _NonceTaken(Exception):
    """A simultaneous request committed a scan with the same nonce first."""


async def scan(
    event_id: int,
    *,
    qr: Any = None,
    code: Any = None,
    registration_id: Any = None,
    staff: dict | None = None,
    device: Any = "",
    nonce: Any = None,
) -> dict:
    """A scanner's scan (the API's and the scanner page's): exactly one way in, `Invalid`
    when none is given; the scan log's method follows from it."""
    ways = intake.ways_in(qr, code, registration_id)
    return await check_in(
        event_id, **ways, staff=staff, device=device, nonce=nonce, method=intake.method_of(ways)
    )


async def check_in(
    event_id: int,
    *,
    qr: Any = None,
    code: Any = None,
    registration_id: Any = None,
    staff: dict | None = None,
    device: Any = "",
    nonce: Any = None,
    method: str = "scan",
    scanned_at: datetime | None = None,
) -> dict:
    """Check a ticket in for `event_id`: {result, registration, checked_in_at}.

    Exactly one way in: `qr` (the QR text or its payload), `code` (the manual code under the
    QR) or `registration_id` (a person staff found by name and phone). `result` is
    `decision.decide`'s: the first of invalid, wrong_event, cancelled, not_confirmed,
    duplicate that applies, else ok.

    In the common case (a genuine ticket of this event, first scan) this is two statements in
    one transaction: the conditional UPDATE that checks the ticket in, and the scan's row. The
    scan row claims the nonce; if a simultaneous request with the same nonce got there first,
    this transaction is rolled back and that request's answer is returned instead.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}")
    await _door_event(event_id)
    nonce = intake.clean_nonce(nonce)
    device = intake.clean_device(device)
    ticket_event, found_id, why = intake.identify(qr, code, registration_id)
    if found_id is not None and ticket_event is not None and not await intake.genuine(qr):
        found_id, why = None, "bad signature"
    moment = now()
    when = intake.scan_time(method, scanned_at, moment)
    if found_id is not None and not is_sqlite() and ticket_event in (None, event_id):
        row = await scan_log.first_scan_in_one_statement(
            event_id, found_id, staff, device, nonce, method, when, moment
        )
        if row is not None:
            return _answer("ok", row, row["checked_in_at"])
    try:
        async with write_transaction():
            answer, row = await _decide(event_id, ticket_event, found_id, when)
            if row is None and not why:
                why = "no such registration"
            registration = row["id"] if row else None
            if not await scan_log.log(
                event_id, registration, staff, device, nonce, method, answer, why, when, moment
            ):
                raise _NonceTaken
    except _NonceTaken:
        replay = await scan_log.replay(nonce, event_id)
        if replay is not None:
            return replay
        # The nonce was used at another event: not a retry of this scan (a device's bug, or
        # someone replaying it), so this scan is judged and logged on its own, without it.
        return await check_in(
            event_id,
            qr=qr,
            code=code,
            registration_id=registration_id,
            staff=staff,
            device=device,
            method=method,
            scanned_at=scanned_at,
        )
    return answer


async def _decide(
    event_id: int, ticket_event: int | None, found_id: int | None, when
) -> tuple[dict, dict | None]:
    """The answer and the registration row (None when there is no genuine ticket)."""
    if found_id is None:
        return _answer("invalid", None, None), None
    if ticket_event is None or ticket_event == event_id:
        # The common case first: a confirmed ticket of this event, not yet checked in.
        rows = await Registration.raw(
            "UPDATE registration SET checked_in_at = {} WHERE id = {} AND event = {}"
            " AND status = 'confirmed' AND checked_in_at IS NULL"
            " RETURNING id, name, party_size, checked_in_at",
            when,
            found_id,
            event_id,
        )
        if rows:
            await Event.raw(
                "UPDATE event SET checked_in = checked_in + {} WHERE id = {}",
                rows[0]["party_size"],
                event_id,
            )
            return _answer("ok", rows[0], rows[0]["checked_in_at"]), rows[0]
    row = await _registration(found_id)
    result = decide(event_id, ticket_event, row)
    if row is None:  # invalid: no such registration
        return _answer(result, None, None), None
    if result == "ok":  # confirmed just now (promoted meanwhile): the UPDATE again
        return await _decide(event_id, ticket_event, found_id, when)
    if result == "wrong_event":
        answer = _answer("wrong_event", row, None)
        issued_for = ticket_event if ticket_event is not None else row["event"]
        answer["event"] = await _event_brief(issued_for)  # so staff can send them there
        return answer, row
    if result != "duplicate":
        return _answer(result, row, None), row
    # Already in: an earlier (offline) scan still moves the recorded time back.
    if row["checked_in_at"] > when:
        await Registration.raw(
            "UPDATE registration SET checked_in_at = {} WHERE id = {} AND checked_in_at > {}",
            when,
            row["id"],
            when,
        )
        row = await _registration(row["id"])
    return _answer("duplicate", row, row["checked_in_at"]), row


async def _registration(registration_id: int) -> dict | None:
    return (
        await Registration.select(
            Registration.id,
            Registration.event,
            Registration.name,
            Registration.party_size,
            Registration.status,
            Registration.checked_in_at,
        )
        .where(Registration.id == registration_id)
        .first()
    )


async def counts(event_id: int) -> dict:
    """Live counters for the door: registrations and people, checked in and confirmed."""
    rows = await Registration.raw(
        "SELECT"
        " COALESCE(SUM(CASE WHEN status = 'confirmed' THEN 1 ELSE 0 END), 0) AS confirmed,"
        " COALESCE(SUM(CASE WHEN status = 'confirmed' THEN party_size ELSE 0 END), 0)"
        "  AS confirmed_people,"
        " COALESCE(SUM(CASE WHEN status = 'confirmed' AND checked_in_at IS NOT NULL"
        "  THEN 1 ELSE 0 END), 0) AS checked_in,"
        " COALESCE(SUM(CASE WHEN status = 'confirmed' AND checked_in_at IS NOT NULL"
        "  THEN party_size ELSE 0 END), 0) AS checked_in_people"
        " FROM registration WHERE event = {}",
        event_id,
    )
    event = await Event.select(Event.capacity).where(Event.id == event_id).first()
    return {key: int(value) for key, value in rows[0].items()} | {
        "seats": event["capacity"] if event else 0
    }
