"""What a device sends with a scan, made safe: the one way in, nonce, device id, scan time.

Nothing here reads the database except the signature check (`genuine`, through the event's
key); the answer itself is `events.door.checkin`'s.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from events.core.errors import Invalid
from events.core.i18n import gettext as _
from events.core.timeutil import aware, in_years
from events.core.validation import MAX_ID
from events.door import tickets

METHODS = ("scan", "code", "search", "button", "offline", "paper", "walk_in")
# Offline scans are dated by the device: accepted up to this far back (a wrong clock beyond
# it is taken as the upload time).
OFFLINE_WINDOW = timedelta(days=7)
MAX_NONCE = 64
MAX_DEVICE = 64


def ways_in(qr: Any, code: Any, registration_id: Any) -> dict:
    """The one way a scan names its ticket (QR text, manual code or a person staff found);
    `Invalid` when none is given."""
    ways = {
        "qr": qr,
        "code": code if code not in (None, "") else None,
        "registration_id": registration_id,
    }
    if ways["qr"] is None and ways["code"] is None and ways["registration_id"] is None:
        raise Invalid(_("请提供二维码内容"), {"qr": _("请提供二维码内容")})
    if ways["qr"] is not None and not isinstance(ways["qr"], str):
        ways["qr"] = ""  # not text: not one of our tickets
    return ways


def method_of(ways: dict) -> str:
    """The scan log's method for a scanner's way in."""
    if ways["qr"] is not None:
        return "scan"
    return "code" if ways["code"] is not None else "search"


def clean_nonce(nonce: Any) -> str | None:
    if nonce is None or nonce == "":
        return None
    if not isinstance(nonce, str) or len(nonce) > MAX_NONCE or not nonce.isprintable():
        raise Invalid(_("nonce 格式不正确"), {"nonce": _("nonce 格式不正确")})
    return nonce


def clean_device(device: Any) -> str:
    if not isinstance(device, str):
        return ""
    return "".join(ch for ch in device if ch.isprintable())[:MAX_DEVICE]


def scan_time(method: str, scanned_at: datetime | None, moment: datetime) -> datetime:
    """When the scan happened: the device's time for offline uploads (within reason)."""
    if scanned_at is None or method not in ("offline", "paper"):
        return moment
    scanned_at = aware(scanned_at)
    if scanned_at > moment or scanned_at < moment - OFFLINE_WINDOW:
        return moment
    return scanned_at


def parse_time(value: Any) -> datetime | None:
    """A device's ISO time, or None when it is not one (or outside the product's years)."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        moment = aware(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return None
    return moment if in_years(moment) else None


def identify(qr: Any, code: Any, registration_id: Any) -> tuple[int | None, int | None, str]:
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


async def genuine(qr: str) -> bool:
    """Whether a QR's signature is the event's."""
    try:
        await tickets.verify(qr)
    except tickets.InvalidTicket:
        return False
    return True
