"""撤销签到: a check-in made by mistake, taken back (the scan log and the audit log keep it)."""

from __future__ import annotations

from typing import Any

from events.accounts import audit
from events.core.db import write_transaction
from events.core.errors import Conflict, NotFound
from events.core.i18n import gettext as _
from events.core.timeutil import iso, now
from events.core.validation import MAX_ID
from events.door import intake
from events.door.checkin import event_for_door
from events.door.scan_log import stamp
from events.tables import CheckinScan, Event, Registration

MAX_REASON = 200


async def undo(
    event_id: int, registration_id: Any, staff: dict | None, device: Any = "", reason: Any = ""
) -> dict:
    """撤销签到: a check-in made by mistake (the wrong person ticked, a ticket scanned for
    someone who then left) is taken back. The scan log keeps both the check-in and this
    `undone` row, and the audit log names who did it. Conflict when nothing is checked in."""
    await event_for_door(event_id)
    if not isinstance(registration_id, int) or not 1 <= registration_id <= MAX_ID:
        raise NotFound(_("没有找到这条报名"))
    reason = reason.strip()[:MAX_REASON] if isinstance(reason, str) else ""
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
                device=intake.clean_device(device),
                method="undo",
                result="undone",
                response={"result": "undone", "was": stamp(row["checked_in_at"])},
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
