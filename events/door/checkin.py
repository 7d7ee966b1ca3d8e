"""Check-in at the door: scans, manual codes, walk-ins, paper sheets, no-shows.

One rule decides every check-in, whatever the way in (camera, typed code, a name found by
the last four digits of the phone, the 签到 button on a ticket URL, an offline device's upload,
a paper sheet): a conditional UPDATE that sets `registration.checked_in_at` only while it is
NULL and the registration is confirmed. So simultaneous scans of one ticket give exactly one
`ok`, and the others `duplicate` with the first time. Every attempt, failures too, is a row of
`checkin_scan` (staff, device, method, time, answer). A device may send a `nonce` with a scan:
the nonce is claimed by a unique index in the same transaction, and a retry with it returns
the stored first answer instead of scanning again.

Offline devices upload scans later with the time they were made (`scanned_at`): the server
keeps the earliest time in `checked_in_at` and answers `duplicate` to every scan after the one
that first checked the ticket in, so the counts never include a person twice.
"""

from __future__ import annotations

import base64
import json
import time
from datetime import datetime, timedelta
from typing import Any

from events.accounts import audit
from events.core import numbers
from events.core.db import is_sqlite, write_transaction
from events.core.errors import Conflict, Invalid, NotFound
from events.core.i18n import gettext as _
from events.core.phones import mask
from events.core.timeutil import aware, day_start, in_years, iso, local, now
from events.core.validation import MAX_ID
from events.door import tickets
from events.registration import registration as registrations
from events.tables import CheckinScan, Event, Registration

RESULTS = ("ok", "duplicate", "invalid", "wrong_event", "cancelled", "not_confirmed")
METHODS = ("scan", "code", "search", "button", "offline", "paper", "walk_in")
# Offline scans are dated by the device: accepted up to this far back (a wrong clock beyond
# it is taken as the upload time).
OFFLINE_WINDOW = timedelta(days=7)
MAX_NONCE = 64
MAX_DEVICE = 64


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


def _clean_nonce(nonce: Any) -> str | None:
    if nonce is None or nonce == "":
        return None
    if not isinstance(nonce, str) or len(nonce) > MAX_NONCE or not nonce.isprintable():
        raise Invalid(_("nonce 格式不正确"), {"nonce": _("nonce 格式不正确")})
    return nonce


def _clean_device(device: Any) -> str:
    if not isinstance(device, str):
        return ""
    return "".join(ch for ch in device if ch.isprintable())[:MAX_DEVICE]


def _scan_time(method: str, scanned_at: datetime | None, moment: datetime) -> datetime:
    """When the scan happened: the device's time for offline uploads (within reason)."""
    if scanned_at is None or method not in ("offline", "paper"):
        return moment
    scanned_at = aware(scanned_at)
    if scanned_at > moment or scanned_at < moment - OFFLINE_WINDOW:
        return moment
    return scanned_at


def _identify(
    event_id: int, qr: Any, code: Any, registration_id: Any
) -> tuple[int | None, int | None, str]:
    """(the ticket's event id or None, registration id or None, why invalid) from what the
    device sent. The event id is None when only the registration row can tell it."""
    if registration_id is not None:
        if type(registration_id) is not int or not 1 <= registration_id <= MAX_ID:
            return None, None, "bad registration id"
        return None, registration_id, ""
    if code is not None and code != "":
        try:
            return None, tickets.parse_manual_code(code), ""
        except tickets.InvalidTicket as error:
            return None, None, str(error)
    try:
        ticket_event, ticket_registration, _body, _signature = tickets.parse(qr)
    except tickets.InvalidTicket as error:
        return None, None, str(error)
    return ticket_event, ticket_registration, ""


async def _verified(qr: str) -> bool:
    try:
        await tickets.verify(qr)
    except tickets.InvalidTicket:
        return False
    return True


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
    QR) or `registration_id` (a person staff found by name and phone). `result` is the first
    of invalid, wrong_event, cancelled, not_confirmed, duplicate that applies, else ok.

    In the common case (a genuine ticket of this event, first scan) this is two statements in
    one transaction: the conditional UPDATE that checks the ticket in, and the scan's row. The
    scan row claims the nonce; if a simultaneous request with the same nonce got there first,
    this transaction is rolled back and that request's answer is returned instead.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}")
    await _door_event(event_id)
    nonce = _clean_nonce(nonce)
    device = _clean_device(device)
    ticket_event, found_id, why = _identify(event_id, qr, code, registration_id)
    if found_id is not None and ticket_event is not None and not await _verified(qr):
        found_id, why = None, "bad signature"
    moment = now()
    when = _scan_time(method, scanned_at, moment)
    if found_id is not None and not is_sqlite() and ticket_event in (None, event_id):
        answer = await _first_scan_in_one_statement(
            event_id, found_id, staff, device, nonce, method, when, moment
        )
        if answer is not None:
            return answer
    try:
        async with write_transaction():
            answer, row = await _decide(event_id, ticket_event, found_id, when)
            if row is None and not why:
                why = "no such registration"
            stored = {**answer, "checked_in_at": _iso(answer["checked_in_at"])}
            if why:
                stored["reason"] = why
            inserted = await CheckinScan.raw(
                "INSERT INTO checkin_scan (event, registration, staff, device, nonce, method,"
                " result, response, scanned_at, recorded_at)"
                " VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {})"
                " ON CONFLICT (nonce) WHERE nonce IS NOT NULL DO NOTHING RETURNING id",
                event_id,
                row["id"] if row else None,
                staff["id"] if staff else None,
                device,
                nonce,
                method,
                answer["result"],
                json.dumps(stored, ensure_ascii=False),
                when,
                moment,
            )
            if not inserted:
                raise _NonceTaken
    except _NonceTaken:
        replay = await _replay(nonce, event_id)
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


# PostgreSQL, the common case (a genuine ticket of this event, first scan): the check-in and
# its scan row in ONE statement, so one round trip and no transaction held open across
# several. Nothing comes back when the ticket is not a first scan; `check_in` then takes the
# general path. A repeated nonce cannot meet a first scan: the request that used it first
# checked this ticket in already, so the UPDATE finds nothing.
FIRST_SCAN = (
    "WITH ok AS ("
    " UPDATE registration SET checked_in_at = {} WHERE id = {} AND event = {}"
    " AND status = 'confirmed' AND checked_in_at IS NULL"
    " RETURNING id, name, party_size, checked_in_at),"
    " logged AS ("
    " INSERT INTO checkin_scan (event, registration, staff, device, nonce, method, result,"
    " response, scanned_at, recorded_at)"
    " SELECT {}, ok.id, {}, {}, {}, {}, 'ok', json_build_object('result', 'ok',"
    " 'registration', json_build_object('id', ok.id, 'name', ok.name,"
    " 'party_size', ok.party_size), 'checked_in_at', CAST({} AS text)), {}, {} FROM ok"
    " ON CONFLICT (nonce) WHERE nonce IS NOT NULL DO NOTHING RETURNING id),"
    " counted AS (UPDATE event SET checked_in = event.checked_in + ok.party_size FROM ok"
    " WHERE event.id = {})"
    " SELECT ok.*, (SELECT COUNT(*) FROM logged) AS logged FROM ok"
)


async def _first_scan_in_one_statement(
    event_id, registration_id, staff, device, nonce, method, when, moment
) -> dict | None:
    rows = await Registration.raw(
        FIRST_SCAN,
        when,
        registration_id,
        event_id,
        event_id,
        staff["id"] if staff else None,
        device,
        nonce,
        method,
        _iso(when),
        when,
        moment,
        event_id,
    )
    if not rows:
        return None
    row = rows[0]
    if not row["logged"]:  # a nonce reused for another ticket: log the scan without it
        await CheckinScan.insert(
            CheckinScan(
                event=event_id,
                registration=row["id"],
                staff=staff["id"] if staff else None,
                device=device,
                method=method,
                result="ok",
                response={"result": "ok", "reason": "nonce reused"},
                scanned_at=when,
                recorded_at=moment,
            )
        )
    return _answer("ok", row, row["checked_in_at"])


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
    if row is None:
        return _answer("invalid", None, None), None
    # A QR names the event it was issued for; a registration later moved to another event
    # keeps an old ticket that is no longer valid anywhere (revoked, like a cancelled one).
    issued_for = ticket_event if ticket_event is not None else row["event"]
    if issued_for != event_id:
        answer = _answer("wrong_event", row, None)
        answer["event"] = await _event_brief(issued_for)  # so staff can send them there
        return answer, row
    if row["status"] == "cancelled" or row["event"] != issued_for:
        return _answer("cancelled", row, None), row
    if row["status"] != "confirmed":
        return _answer("not_confirmed", row, None), row
    # Already in: an earlier (offline) scan still moves the recorded time back.
    if row["checked_in_at"] is not None and row["checked_in_at"] > when:
        await Registration.raw(
            "UPDATE registration SET checked_in_at = {} WHERE id = {} AND checked_in_at > {}",
            when,
            row["id"],
            when,
        )
        row = await _registration(row["id"])
    if row["checked_in_at"] is None:  # confirmed just now (promoted meanwhile): try again
        return await _decide(event_id, ticket_event, found_id, when)
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


async def _replay(nonce: str, event_id: int) -> dict | None:
    """The answer first given to this nonce at this event (None: it was used elsewhere)."""
    row = (
        await CheckinScan.select(CheckinScan.event, CheckinScan.result, CheckinScan.response)
        .where(CheckinScan.nonce == nonce)
        .first()
    )
    if row is None or row["event"] != event_id:
        return None
    stored = row["response"]
    if isinstance(stored, str):
        stored = json.loads(stored)
    checked = stored.get("checked_in_at")
    replay = {
        "result": stored["result"],
        "registration": stored.get("registration"),
        "checked_in_at": datetime.fromisoformat(checked) if checked else None,
    }
    if stored.get("event"):
        replay["event"] = stored["event"]
    return replay


def _iso(value: datetime | None) -> str | None:
    return aware(value).isoformat() if value else None


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


async def offline_data(event_id: int) -> dict:
    """What a scanner needs to check tickets for one event without the network.

    The public key verifies signatures; `confirmed` (ids, masked names, party sizes, the
    phone's last four digits, check-in time) answers ok or duplicate; `revoked` (cancelled)
    and `waitlisted` ids answer cancelled and not_confirmed. A genuine ticket in none of the
    lists was issued after the download: the device accepts it and the server decides on
    upload.
    """
    event = await event_for_door(event_id)
    public = await tickets.public_key(event_id)
    rows = await Registration.raw(
        "SELECT id, name, phone, party_size, status, checked_in_at FROM registration"
        " WHERE event = {} ORDER BY id",
        event_id,
    )
    confirmed, revoked, waitlisted = [], [], []
    for row in rows:
        if row["status"] == "confirmed":
            confirmed.append(
                {
                    "id": row["id"],
                    "name": masked_name(row["name"]),
                    "party_size": row["party_size"],
                    "phone_last4": (row["phone"] or "")[-4:],
                    "checked_in_at": _iso(row["checked_in_at"]),
                }
            )
        elif row["status"] == "cancelled":
            revoked.append(row["id"])
        else:
            waitlisted.append(row["id"])
    return {
        "event": {
            "id": event["id"],
            "title": event["title"],
            "starts_at": _iso(event["starts_at"]),
            "ends_at": _iso(event["ends_at"]),
            "venue": event["venue"],
            "capacity": event["capacity"],
            "status": event["status"],
        },
        "public_key": base64.urlsafe_b64encode(public).rstrip(b"=").decode(),
        "ticket_version": tickets.VERSION,
        "confirmed": confirmed,
        "revoked": revoked,
        "waitlisted": waitlisted,
        "counts": await counts(event_id),
        "generated_at": _iso(now()),
    }


async def search(event_id: int, last4: Any, name: Any) -> list[dict]:
    """People of the event whose phone ends with `last4` and whose name contains `name`
    (for attendees without their phone); confirmed first."""
    await event_for_door(event_id)
    errors = {}
    if not isinstance(last4, str) or not numbers.is_digits(last4.strip(), 4):
        errors["last4"] = _("请输入手机号后 4 位数字")
    if not isinstance(name, str) or not name.strip():
        errors["name"] = _("请输入姓名")
    elif len(name.strip()) > 50:
        errors["name"] = _("姓名不能超过 50 个字")
    if errors:
        raise Invalid(next(iter(errors.values())), errors)
    rows = await Registration.raw(
        "SELECT id, name, phone, party_size, status, checked_in_at FROM registration"
        " WHERE event = {} AND phone LIKE {} AND LOWER(name) LIKE {}"
        " ORDER BY CASE status WHEN 'confirmed' THEN 0 WHEN 'waitlisted' THEN 1 ELSE 2 END, id"
        " LIMIT 20",
        event_id,
        "%" + last4.strip(),
        "%" + _like(name.strip().lower()) + "%",
    )
    return [
        {
            "id": row["id"],
            "name": row["name"],
            "phone": mask(row["phone"]),
            "party_size": row["party_size"],
            "status": row["status"],
            "checked_in_at": _iso(row["checked_in_at"]),
        }
        for row in rows
    ]


def _like(text: str) -> str:
    # LIKE wildcards typed by staff are taken literally by dropping them.
    return text.replace("%", "").replace("_", "")


async def sync(event_id: int, scans: Any, staff: dict | None, device: Any) -> list[dict]:
    """An offline device's queue, in the order it scanned: one answer per scan. Every scan
    must carry a nonce, so that an upload cut off halfway can simply be sent again."""
    if not isinstance(scans, list) or len(scans) > 1000:
        raise Invalid(_("扫码记录格式不正确"))
    for scan in scans:  # all checked before any is recorded: a refused upload changes nothing
        if not isinstance(scan, dict) or not scan.get("nonce"):
            raise Invalid(_("每条扫码记录都要带 nonce"))
        _clean_nonce(scan["nonce"])
    results = []
    for scan in scans:
        scanned_at = _parse_time(scan.get("scanned_at"))
        answer = await check_in(
            event_id,
            qr=scan.get("qr"),
            code=scan.get("code"),
            registration_id=scan.get("registration_id"),
            staff=staff,
            device=device,
            nonce=scan["nonce"],
            method="offline",
            scanned_at=scanned_at,
        )
        results.append({"nonce": scan["nonce"], **answer})
    return results


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        moment = aware(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return None
    return moment if in_years(moment) else None


async def record_paper(
    event_id: int, registration_ids: list[int], staff: dict | None, at: datetime | None = None
) -> dict[str, int]:
    """Check-ins ticked on a printed sheet, entered afterwards: counts per result."""
    event = await event_for_door(event_id)
    when = at or event["starts_at"]
    tally: dict[str, int] = {}
    for registration_id in registration_ids:
        answer = await check_in(
            event_id,
            registration_id=registration_id,
            staff=staff,
            device="paper",
            method="paper",
            scanned_at=when,
        )
        tally[answer["result"]] = tally.get(answer["result"], 0) + 1
    return tally


async def sheet(event_id: int) -> list[dict]:
    """The printable sign-in sheet: confirmed people by name, phones masked."""
    await event_for_door(event_id)
    rows = await Registration.raw(
        "SELECT id, name, phone, party_size, adults, children, company, checked_in_at"
        " FROM registration WHERE event = {} AND status = 'confirmed' ORDER BY name, id",
        event_id,
    )
    return [
        {
            **row,
            "phone": mask(row["phone"]),
            "code": tickets.manual_code(row["id"]),
        }
        for row in rows
    ]


async def no_shows(event_id: int) -> dict:
    """Confirmed, never checked in: known once the event has ended."""
    event = await event_for_door(event_id)
    ended = event["ends_at"] <= now()
    rows = []
    if ended:
        rows = await Registration.raw(
            "SELECT id, name, phone, party_size, source FROM registration"
            " WHERE event = {} AND status = 'confirmed' AND checked_in_at IS NULL"
            " ORDER BY name, id",
            event_id,
        )
    return {
        "ended": ended,
        "people": sum(row["party_size"] for row in rows),
        "registrations": [{**row, "phone": mask(row["phone"])} for row in rows],
    }


async def recent_scans(event_id: int, limit: int = 50) -> list[dict]:
    rows = await CheckinScan.raw(
        "SELECT s.id, s.method, s.result, s.device, s.scanned_at, s.recorded_at,"
        " s.registration, r.name, u.username AS staff"
        " FROM checkin_scan s LEFT JOIN registration r ON r.id = s.registration"
        " LEFT JOIN staff_user u ON u.id = s.staff"
        " WHERE s.event = {} AND s.result <> 'pending' ORDER BY s.id DESC LIMIT {}",
        event_id,
        limit,
    )
    return rows


async def door_events(moment: datetime | None = None) -> dict[str, list[dict]]:
    """Events for the scanner's list: today's first, then the next week's, then the last
    two days' (late paper entries)."""
    moment = moment or now()
    today = day_start(local(moment).date())
    rows = await Event.raw(
        "SELECT id, title, kind, venue, starts_at, ends_at, capacity, confirmed, status"
        " FROM event WHERE status IN ('published', 'cancelled')"
        " AND starts_at < {} AND ends_at > {} ORDER BY starts_at, id",
        today + timedelta(days=8),
        today - timedelta(days=2),
    )
    groups: dict[str, list[dict]] = {"today": [], "upcoming": [], "recent": []}
    for row in rows:
        starts, ends = row["starts_at"], row["ends_at"]
        if starts < today + timedelta(days=1) and ends > today:
            groups["today"].append(row)
        elif starts >= today + timedelta(days=1):
            groups["upcoming"].append(row)
        else:
            groups["recent"].append(row)
    return groups


async def walk_in(event_id: int, raw: dict, staff: dict, device: Any = "") -> dict:
    """代报名: staff register someone at the door (seats left only) and check them in at
    once. {registration, answer}; `EventFull` / `RegistrationClosed` / `Invalid` otherwise."""
    event = await event_for_door(event_id)
    if local(now()).date() < local(event["starts_at"]).date():
        raise registrations.RegistrationClosed(_("代报名在活动当天开放"))
    created = await registrations.register(
        event_id, raw, source="walk_in", actor=staff, at_door=True
    )
    answer = await check_in(
        event_id,
        registration_id=created["id"],
        staff=staff,
        device=device,
        method="walk_in",
    )
    return {"registration": created, "answer": answer}


async def undo(
    event_id: int, registration_id: Any, staff: dict | None, device: Any = "", reason: Any = ""
) -> dict:
    """撤销签到: a check-in made by mistake (the wrong person ticked, a ticket scanned for
    someone who then left) is taken back. The scan log keeps both the check-in and this
    `undone` row, and the audit log names who did it. Conflict when nothing is checked in."""
    await event_for_door(event_id)
    if not isinstance(registration_id, int) or not 1 <= registration_id <= MAX_ID:
        raise NotFound(_("没有找到这条报名"))
    reason = reason.strip()[:200] if isinstance(reason, str) else ""
    moment = now()
    async with write_transaction():
        row = (
            await Registration.select(
                Registration.id,
                Registration.name,
                Registration.party_size,
                Registration.status,
                Registration.checked_in_at,
            )
            .where((Registration.id == registration_id) & (Registration.event == event_id))
            .first()
        )
        if row is None:
            raise NotFound(_("没有找到这条报名"))
        if row["checked_in_at"] is None:
            raise Conflict(_("这条报名还没有签到，无需撤销"))
        await Registration.update({Registration.checked_in_at: None}).where(
            Registration.id == row["id"]
        )
        if row["status"] == "confirmed":  # the event's counter holds confirmed people only
            await Event.raw(
                "UPDATE event SET checked_in = checked_in - {} WHERE id = {}",
                row["party_size"],
                event_id,
            )
        await CheckinScan.insert(
            CheckinScan(
                event=event_id,
                registration=row["id"],
                staff=staff["id"] if staff else None,
                device=_clean_device(device),
                method="undo",
                result="undone",
                response={"result": "undone", "was": _iso(row["checked_in_at"])},
                scanned_at=moment,
                recorded_at=moment,
            )
        )
        await audit.record(
            staff,
            "checkin.undo",
            "registration",
            row["id"],
            before={"checked_in_at": iso(row["checked_in_at"])},
            after={"checked_in_at": None, **({"reason": reason} if reason else {})},
        )
    return {**row, "checked_in_at": None}
