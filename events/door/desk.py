"""The door desk: finding a person by name and phone, 代报名 (walk-ins), the printable
sign-in sheet and 补录纸质签到 (ticks of that sheet, entered afterwards)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from events.core import numbers
from events.core.errors import Invalid
from events.core.i18n import gettext as _
from events.core.phones import mask
from events.core.timeutil import local, now
from events.core.validation import MAX_ID
from events.door import tickets
from events.door.checkin import check_in, event_for_door
from events.door.scan_log import stamp
from events.registration import registration as registrations
from events.tables import Registration

MAX_SEARCH = 20  # people one search shows


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
        " LIMIT {}",
        event_id,
        "%" + last4.strip(),
        "%" + _like(name.strip().lower()) + "%",
        MAX_SEARCH,
    )
    return [
        {
            "id": row["id"],
            "name": row["name"],
            "phone": mask(row["phone"]),
            "party_size": row["party_size"],
            "status": row["status"],
            "checked_in_at": stamp(row["checked_in_at"]),
        }
        for row in rows
    ]


def _like(text: str) -> str:
    # LIKE wildcards typed by staff are taken literally by dropping them.
    return text.replace("%", "").replace("_", "")


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


async def walk_in_result(event_id: int, registration_id: int) -> dict | None:
    """A walk-in of this event as its result block shows it: name, party, manual code and
    whether it is checked in (`ok` / `pending`). None: no such walk-in of this event."""
    if not 1 <= registration_id <= MAX_ID:
        return None
    person = (
        await Registration.select(
            Registration.id,
            Registration.name,
            Registration.party_size,
            Registration.adults,
            Registration.children,
            Registration.checked_in_at,
        )
        .where(
            (Registration.id == registration_id)
            & (Registration.event == event_id)
            & (Registration.source == "walk_in")
        )
        .first()
    )
    if person is None:
        return None
    return {
        "name": person["name"],
        "party_size": person["party_size"],
        "adults": person["adults"],
        "children": person["children"],
        "code": tickets.manual_code(person["id"]),
        "result": "ok" if person["checked_in_at"] else "pending",
    }


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


async def record_paper(
    event_id: int, registration_ids: list[int], staff: dict | None, at: datetime | None = None
) -> dict[str, int]:
    """Check-ins ticked on a printed sheet, entered afterwards: counts per result. They are
    dated `at` (staff give it) or the event's start."""
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
