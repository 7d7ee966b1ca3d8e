"""A ticket as its holder and the door see it: the contract's ticket object (with its QR text),
the event of a ticket (/t/…), a registration as it is now, and the registration and event of
a scanned ticket URL (/c/…), found only when its signature is genuine (door staff who open it
on their phone get a 签到 button)."""

from __future__ import annotations

from events.core.validation import MAX_ID
from events.door import tickets
from events.registration.registration import by_token, waitlist_position
from events.tables import Event, Registration


async def event_row(event_id: int) -> dict | None:
    """The event's row as stored (any status), None when there is none."""
    return await Event.select().where(Event.id == event_id).first()


async def registration_row(registration_id: int) -> dict | None:
    """The registration's row as stored now, None when there is none."""
    return await Registration.select().where(Registration.id == registration_id).first()


async def scanned(text: str) -> tuple[dict, dict] | None:
    """(registration, event) of a ticket payload with a genuine signature, whose registration
    belongs to the event it names; None for anything else (never an error)."""
    try:
        event_id, registration_id, _body, _sig = tickets.parse(text)
        if not (1 <= event_id <= MAX_ID and 1 <= registration_id <= MAX_ID):
            return None
        event_id, registration_id = await tickets.verify(text)
    except tickets.InvalidTicket:
        return None
    person = await registration_row(registration_id)
    if person is None or person["event"] != event_id:
        return None
    event = await event_row(event_id)
    return (person, event) if event else None


async def ticket(ticket_token: str, base_url: str) -> dict:
    """The contract's ticket object (GET /api/v1/tickets/{token}), plus the registration row
    for pages."""
    registration = await by_token(ticket_token)
    position = None
    qr = None
    if registration["status"] == "waitlisted":
        position = await waitlist_position(registration["event"], registration["seq"])
    if registration["status"] == "confirmed":
        payload = await tickets.sign(registration["event"], registration["id"])
        qr = tickets.qr_text(base_url, payload)
    return {
        "id": registration["id"],
        "event_id": registration["event"],
        "status": registration["status"],
        "waitlist_position": position,
        "party_size": registration["party_size"],
        "checked_in_at": registration["checked_in_at"],
        "qr": qr,
        "registration": registration,
    }
