"""Helpers of the door's tests: staff, an event under way, a ticket's QR, the counters."""

from datetime import datetime, timedelta

from events.core.timeutil import TZ
from events.door import tickets
from events.tables import Event, Registration


async def started(event: dict) -> dict:
    """The event moved to have begun half an hour ago (walk-ins are taken on its day)."""
    start = datetime.now(TZ).replace(microsecond=0) - timedelta(minutes=30)
    await Event.update({Event.starts_at: start, Event.ends_at: start + timedelta(hours=2)}).where(
        Event.id == event["id"]
    )
    return event


async def qr_of(event_id: int, registration_id: int) -> str:
    return tickets.qr_text("https://x.example", await tickets.sign(event_id, registration_id))


async def counters_match(*event_ids):
    for event_id in event_ids:
        row = await Event.select(Event.confirmed, Event.checked_in).where(Event.id == event_id)
        regs = await Registration.select().where(
            (Registration.event == event_id) & (Registration.status == "confirmed")
        )
        confirmed = sum(r["party_size"] for r in regs)
        came = sum(r["party_size"] for r in regs if r["checked_in_at"])
        assert (row[0]["confirmed"], row[0]["checked_in"]) == (confirmed, came), event_id
    return True
