"""`check_in` beyond the API: the event row's counters, nonces across events."""

from events.door import checkin, desk
from events.registration import registration as reg
from tests.door.helpers import counters_match, qr_of, started
from tests.registration.test_registration import make_event, phone


async def test_checked_in_people_on_the_event_row_follow_every_workflow(staff):
    """The statistics read `event.checked_in`: it must match the registrations after
    check-in, cancel, promotion, restore, move and the event's cancellation."""
    from events.registration import admin
    from events.scheduling import scheduling

    event = await make_event(capacity=5, max_party_size=2)
    other = await make_event(capacity=5, max_party_size=2)
    a, b, c = [
        await reg.register(event["id"], {"name": n, "phone": phone(i), "party_size": 2})
        for i, n in enumerate("甲乙丙")
    ]
    assert c["status"] == "waitlisted"
    assert (await checkin.check_in(event["id"], qr=await qr_of(event["id"], a["id"])))[
        "result"
    ] == "ok"
    await checkin.check_in(event["id"], registration_id=b["id"], staff=staff, method="search")
    assert await counters_match(event["id"])
    await reg.cancel(a["ticket_token"], by="organizer")  # organizer cancels; 丙 promoted
    assert await counters_match(event["id"])
    await admin.restore(a["id"], staff)  # back (waitlisted: no seats), check-in kept
    assert await counters_match(event["id"])
    await admin.move(c["id"], other["id"], staff)  # (a checked-in person cannot be moved)
    assert await counters_match(event["id"], other["id"])
    await started(other)
    await desk.walk_in(other["id"], {"name": "丁", "phone": phone(9)}, staff)
    assert await counters_match(event["id"], other["id"])
    await scheduling.update_event(other["id"], {"status": "cancelled"}, staff)
    assert await counters_match(event["id"], other["id"])


async def test_a_nonce_from_another_event_is_not_a_retry(staff):
    here = await make_event(capacity=5)
    there = await make_event(capacity=5)
    one = await reg.register(here["id"], {"name": "甲", "phone": phone(1)})
    other = await reg.register(there["id"], {"name": "乙", "phone": phone(2)})
    first = await checkin.check_in(here["id"], qr=await qr_of(here["id"], one["id"]), nonce="n-1")
    assert first["result"] == "ok"
    # the same nonce at the other event: judged on its own (here a genuine first scan there)
    elsewhere = await checkin.check_in(
        there["id"], qr=await qr_of(there["id"], other["id"]), nonce="n-1"
    )
    assert elsewhere["result"] == "ok" and elsewhere["registration"]["id"] == other["id"]
    # and the ticket of the first event at the second: wrong_event, not the stored "ok"
    wrong = await checkin.check_in(there["id"], qr=await qr_of(here["id"], one["id"]), nonce="n-1")
    assert wrong["result"] == "wrong_event"
    # a true retry at the first event still returns the first answer
    again = await checkin.check_in(here["id"], qr=await qr_of(here["id"], one["id"]), nonce="n-1")
    assert again == first
