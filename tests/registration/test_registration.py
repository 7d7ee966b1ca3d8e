"""Registration rules: seats counted by party, FIFO waitlist, promotion, never oversold."""

import asyncio
from datetime import datetime, timedelta

import pytest

from events.core.errors import Invalid, NotFound
from events.core.timeutil import TZ
from events.door import ticket_view
from events.registration import registration as reg
from events.scheduling import scheduling
from events.tables import Event, OutboxMessage, Registration


def phone(n: int) -> str:
    return f"138{n:08d}"


async def make_event(**change):
    start = datetime.now(TZ).replace(microsecond=0) + timedelta(days=5)
    values = {
        "title": "科普墅讲座",
        "kind": "lecture",
        "starts_at": start,
        "ends_at": start + timedelta(hours=2),
        "venue": "礼堂",
        "capacity": 10,
        "max_party_size": 4,
    }
    values.update(change)
    return await scheduling.create_event(values, actor=None)


async def counts(event_id):
    row = (
        await Event.select(Event.confirmed, Event.waitlisted, Event.capacity)
        .where(Event.id == event_id)
        .first()
    )
    regs = await Registration.select().where(Registration.event == event_id)
    confirmed = sum(r["party_size"] for r in regs if r["status"] == "confirmed")
    waitlisted = sum(r["party_size"] for r in regs if r["status"] == "waitlisted")
    assert (row["confirmed"], row["waitlisted"]) == (confirmed, waitlisted), "counters drifted"
    assert confirmed <= row["capacity"], "oversold"
    return confirmed, waitlisted


async def test_confirmed_while_seats_last_then_waitlisted_in_order(db):
    event = await make_event(capacity=3, max_party_size=1)
    results = [
        await reg.register(event["id"], {"name": f"居民{i}", "phone": phone(i)}) for i in range(5)
    ]
    assert [r["status"] for r in results] == ["confirmed"] * 3 + ["waitlisted"] * 2
    assert [r["waitlist_position"] for r in results] == [None, None, None, 1, 2]
    assert await counts(event["id"]) == (3, 2)


async def test_party_takes_seats_and_never_more_than_left(db):
    event = await make_event(capacity=5)
    first = await reg.register(event["id"], {"name": "甲", "phone": phone(1), "party_size": 4})
    second = await reg.register(event["id"], {"name": "乙", "phone": phone(2), "party_size": 2})
    third = await reg.register(event["id"], {"name": "丙", "phone": phone(3), "party_size": 1})
    assert (first["status"], second["status"], third["status"]) == (
        "confirmed",
        "waitlisted",
        "confirmed",
    )
    assert await counts(event["id"]) == (5, 2)


async def test_cancel_promotes_first_in_line_who_fits_and_keeps_places(db):
    event = await make_event(capacity=4)
    a = await reg.register(event["id"], {"name": "A", "phone": phone(1), "party_size": 2})
    b = await reg.register(event["id"], {"name": "B", "phone": phone(2), "party_size": 2})
    big = await reg.register(event["id"], {"name": "C", "phone": phone(3), "party_size": 3})
    small = await reg.register(event["id"], {"name": "D", "phone": phone(4), "party_size": 2})
    assert (big["status"], small["status"]) == ("waitlisted", "waitlisted")
    await reg.cancel(a["ticket_token"])  # 2 seats free: C (3) does not fit, D (2) does
    assert (await reg.by_token(small["ticket_token"]))["status"] == "confirmed"
    big_now = await ticket_view.ticket(big["ticket_token"], "http://x")
    assert big_now["status"] == "waitlisted" and big_now["waitlist_position"] == 1
    await reg.cancel(b["ticket_token"])  # 2 free: still not 3
    assert (await reg.by_token(big["ticket_token"]))["status"] == "waitlisted"
    await reg.cancel(small["ticket_token"])  # 4 free: C goes in
    assert (await reg.by_token(big["ticket_token"]))["status"] == "confirmed"
    assert await counts(event["id"]) == (3, 0)


async def test_one_active_registration_per_phone(db):
    event = await make_event()
    first = await reg.register(event["id"], {"name": "甲", "phone": "13800000001"})
    with pytest.raises(reg.AlreadyRegistered):
        await reg.register(event["id"], {"name": "甲", "phone": "138 0000 0001"})
    await reg.cancel(first["ticket_token"])
    again = await reg.register(event["id"], {"name": "甲", "phone": "+8613800000001"})
    assert again["status"] == "confirmed" and again["ticket_token"] != first["ticket_token"]


async def test_full_without_waitlist_and_closed_events(db):
    event = await make_event(capacity=1, waitlist=False, max_party_size=1)
    await reg.register(event["id"], {"name": "甲", "phone": phone(1)})
    with pytest.raises(reg.EventFull):
        await reg.register(event["id"], {"name": "乙", "phone": phone(2)})
    draft = await make_event(status="draft")
    with pytest.raises(NotFound):
        await reg.register(draft["id"], {"name": "乙", "phone": phone(2)})
    cancelled = await make_event()
    await scheduling.update_event(cancelled["id"], {"status": "cancelled"}, actor=None)
    with pytest.raises(reg.RegistrationClosed):
        await reg.register(cancelled["id"], {"name": "乙", "phone": phone(2)})
    later = datetime.now(TZ) + timedelta(days=2)
    not_yet = await make_event(registration_opens_at=later)
    with pytest.raises(reg.RegistrationClosed):
        await reg.register(not_yet["id"], {"name": "乙", "phone": phone(2)})
    assert await counts(event["id"]) == (1, 0)


@pytest.mark.parametrize(
    "body,field",
    [
        ({"name": "", "phone": "13800000001"}, "name"),
        ({"name": "x" * 51, "phone": "13800000001"}, "name"),
        ({"name": "甲", "phone": "1380000000"}, "phone"),
        ({"name": "甲", "phone": "1380000000a"}, "phone"),
        ({"name": "甲", "phone": "057188888888"}, "phone"),
        ({"name": "甲", "phone": "12800000001"}, "phone"),
        ({"name": "甲", "phone": "13800000001", "party_size": 0}, "party_size"),
        ({"name": "甲", "phone": "13800000001", "party_size": 5}, "party_size"),
        ({"name": "甲", "phone": "13800000001", "party_size": "two"}, "party_size"),
        ({"name": "甲", "phone": 13800000001}, "phone"),
    ],
)
async def test_bad_registration_fields(db, body, field):
    event = await make_event()
    with pytest.raises(Invalid) as caught:
        await reg.register(event["id"], body)
    assert field in caught.value.fields
    assert await counts(event["id"]) == (0, 0)


async def test_messages_are_queued_with_the_registration(db):
    event = await make_event(capacity=1, max_party_size=1)
    await reg.register(event["id"], {"name": "甲", "phone": phone(1), "email": "a@example.com"})
    await reg.register(event["id"], {"name": "乙", "phone": phone(2)})
    kinds = sorted(
        (m["kind"], m["channel"])
        for m in await OutboxMessage.select(OutboxMessage.kind, OutboxMessage.channel)
    )
    assert kinds == [("confirmed", "email"), ("confirmed", "sms"), ("waitlisted", "sms")]


async def test_concurrent_registrations_never_oversell(db):
    event = await make_event(capacity=20, max_party_size=3)

    async def one(i):
        try:
            return await reg.register(
                event["id"], {"name": f"居民{i}", "phone": phone(i), "party_size": 1 + i % 3}
            )
        except reg.AlreadyRegistered:
            return None

    results = await asyncio.gather(*(one(i) for i in range(60)))
    confirmed, _waitlisted = await counts(event["id"])
    assert confirmed <= 20 and confirmed >= 18
    positions = sorted(r["waitlist_position"] for r in results if r["status"] == "waitlisted")
    assert positions == list(range(1, len(positions) + 1))


async def test_concurrent_cancels_and_registrations_keep_counts_exact(db):
    event = await make_event(capacity=10, max_party_size=2)
    first = [
        await reg.register(
            event["id"], {"name": f"甲{i}", "phone": phone(i), "party_size": 1 + i % 2}
        )
        for i in range(15)
    ]
    tasks = [reg.cancel(r["ticket_token"]) for r in first[:8]]
    tasks += [
        reg.register(
            event["id"], {"name": f"乙{i}", "phone": phone(100 + i), "party_size": 1 + i % 2}
        )
        for i in range(10)
    ]
    await asyncio.gather(*tasks)
    confirmed, _ = await counts(event["id"])
    assert confirmed <= 10
    waiting = (
        await Registration.select()
        .where((Registration.event == event["id"]) & (Registration.status == "waitlisted"))
        .order_by(Registration.seq)
    )
    # Nobody waits who would fit in the seats left.
    assert all(r["party_size"] > 10 - confirmed for r in waiting)


async def test_raising_capacity_promotes_from_the_waitlist(db):
    event = await make_event(capacity=2, max_party_size=2)
    for i in range(4):
        await reg.register(event["id"], {"name": f"甲{i}", "phone": phone(i)})
    await scheduling.update_event(event["id"], {"capacity": 3}, actor=None)
    assert await counts(event["id"]) == (3, 1)


async def test_cancelling_the_event_revokes_tickets_and_tells_registrants(db):
    event = await make_event(capacity=1, max_party_size=1)
    a = await reg.register(event["id"], {"name": "甲", "phone": phone(1)})
    await reg.register(event["id"], {"name": "乙", "phone": phone(2)})
    await scheduling.update_event(event["id"], {"status": "cancelled"}, actor=None)
    assert (await ticket_view.ticket(a["ticket_token"], "http://x"))["status"] == "cancelled"
    told = await OutboxMessage.select().where(OutboxMessage.kind == "event_cancelled")
    assert len(told) == 2
    assert await counts(event["id"]) == (0, 0)


async def test_same_phone_at_the_same_moment_gets_one_registration(db):
    event = await make_event()
    results = await asyncio.gather(
        *(reg.register(event["id"], {"name": "甲", "phone": phone(7)}) for _ in range(8)),
        return_exceptions=True,
    )
    ok = [r for r in results if isinstance(r, dict)]
    refused = [r for r in results if isinstance(r, reg.AlreadyRegistered)]
    assert len(ok) == 1 and len(refused) == 7, results
    assert await counts(event["id"]) == (1, 0)


async def test_a_waitlisted_cancellation_moves_newcomers_up(db):
    event = await make_event(capacity=1, max_party_size=1)
    await reg.register(event["id"], {"name": "甲", "phone": phone(1)})
    second = await reg.register(event["id"], {"name": "乙", "phone": phone(2)})
    await reg.cancel(second["ticket_token"])
    third = await reg.register(event["id"], {"name": "丙", "phone": phone(3)})
    assert third["waitlist_position"] == 1
    assert await counts(event["id"]) == (1, 1)
