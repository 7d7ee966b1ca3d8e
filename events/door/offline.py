"""The scanner without a network: the lists it downloads per event, and its queue's upload.

The device decides offline in the server's order (assets/src/decide.js, run against the same
table of cases as `events.door.decision`); the server has the last word on upload.
"""

from __future__ import annotations

import base64
from typing import Any

from events.core.errors import Invalid
from events.core.i18n import gettext as _
from events.core.timeutil import now
from events.door import intake, tickets
from events.door.checkin import check_in, counts, event_for_door, masked_name
from events.door.scan_log import stamp
from events.tables import Registration

MAX_UPLOAD = 1000  # scans in one upload


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
                    "checked_in_at": stamp(row["checked_in_at"]),
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
            "starts_at": stamp(event["starts_at"]),
            "ends_at": stamp(event["ends_at"]),
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
        "generated_at": stamp(now()),
    }


async def sync(event_id: int, scans: Any, staff: dict | None, device: Any) -> list[dict]:
    """An offline device's queue, in the order it scanned: one answer per scan. Every scan
    must carry a nonce, so that an upload cut off halfway can simply be sent again."""
    if not isinstance(scans, list) or len(scans) > MAX_UPLOAD:
        raise Invalid(_("扫码记录格式不正确"))
    for scan in scans:  # all checked before any is recorded: a refused upload changes nothing
        if not isinstance(scan, dict) or not scan.get("nonce"):
            raise Invalid(_("每条扫码记录都要带 nonce"))
        intake.clean_nonce(scan["nonce"])
    results = []
    for scan in scans:
        answer = await check_in(
            event_id,
            qr=scan.get("qr"),
            code=scan.get("code"),
            registration_id=scan.get("registration_id"),
            staff=staff,
            device=device,
            nonce=scan["nonce"],
            method="offline",
            scanned_at=intake.parse_time(scan.get("scanned_at")),
        )
        results.append({"nonce": scan["nonce"], **answer})
    return results
