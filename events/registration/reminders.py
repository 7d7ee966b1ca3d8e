"""Once a day (a job of the outbox's sender): tomorrow's reminders, and the retention job."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from events.core.db import write_transaction
from events.core.timeutil import day_start, local
from events.notify import messages, outbox
from events.registration import retention
from events.tables import Event


async def queue_reminders(day: date) -> int:
    """Queue a reminder for every confirmed registration of a published event starting on
    `day` (Shanghai); queuing twice is a no-op (dedupe key). How many registrations."""
    rows = await Event.raw(
        "SELECT r.id, r.name, r.phone, r.email, r.party_size, r.ticket_token,"
        " e.id AS event_id, e.title, e.starts_at, e.ends_at, e.venue, e.address"
        " FROM registration r JOIN event e ON e.id = r.event"
        " WHERE r.status = 'confirmed' AND e.status = 'published'"
        " AND e.starts_at >= {} AND e.starts_at < {} ORDER BY r.id",
        day_start(day),
        day_start(day + timedelta(days=1)),
    )
    async with write_transaction():
        for row in rows:
            payload = {key: row[key] for key in ("event_id", "name", "party_size", "ticket_token")}
            payload.update(event_title=row["title"], venue=row["venue"], address=row["address"])
            payload.update(starts_at=row["starts_at"], ends_at=row["ends_at"])
            await messages.enqueue("reminder", row, dedupe=f"{row['id']}:{day}", payload=payload)
    return len(rows)


@outbox.on_daily
async def remind_tomorrow(at: datetime) -> str:
    tomorrow = local(at).date() + timedelta(days=1)
    return f"{await queue_reminders(tomorrow)} reminders for {tomorrow}"


@outbox.on_daily
async def anonymise_past(at: datetime) -> str:
    return f"{await retention.anonymise_past(at)} anonymised"
