"""What the door pages list: the door's events (today, the next week, the last two days),
and for one event its no-shows and latest scans."""

from __future__ import annotations

from datetime import datetime, timedelta

from events.core.phones import mask
from events.core.timeutil import day_start, local, now
from events.door.checkin import event_for_door
from events.tables import CheckinScan, Event, Registration


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
    """The event's latest scans, newest first, with the person's name and the staff user."""
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
