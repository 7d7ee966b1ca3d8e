"""What registration does when an organizer changes an event (hooks of `scheduling`).

- A cancelled event revokes its tickets and tells every registrant.
- More seats move the waitlist up at once, in order.
- Every change refreshes this worker's cached registration forms.
"""

from __future__ import annotations

from events.core.timeutil import now
from events.notify import messages
from events.registration.form import forget_forms
from events.registration.registration import promote
from events.scheduling import scheduling
from events.tables import Event, Registration


@scheduling.on_event_change
async def follow_event_change(before: dict, after: dict) -> None:
    if after["status"] == "cancelled" and before["status"] != "cancelled":
        await _cancel_registrations(after)
    elif after["capacity"] > before["capacity"]:
        # the caller may say how many moved up
        after["promoted"] = len(await promote(after))
    forget_forms()


async def _cancel_registrations(event: dict) -> None:
    """A cancelled event revokes its tickets and tells every registrant."""

    moment = now()
    active = await Registration.select().where(
        (Registration.event == event["id"]) & (Registration.status != "cancelled")
    )
    await Registration.update(
        {
            Registration.status: "cancelled",
            Registration.cancelled_at: moment,
            Registration.cancelled_by: "event",
        }
    ).where((Registration.event == event["id"]) & (Registration.status != "cancelled"))
    await Event.update(
        {Event.confirmed: 0, Event.waitlisted: 0, Event.waiting: 0, Event.checked_in: 0}
    ).where(Event.id == event["id"])
    for registration in active:
        await messages.enqueue(
            "event_cancelled",
            registration,
            dedupe=str(registration["id"]),
            payload={
                "event_id": event["id"],
                "event_title": event["title"],
                "starts_at": event["starts_at"],
                "name": registration["name"],
            },
        )
