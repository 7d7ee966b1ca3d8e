"""Check-in workflows beyond the API: walk-ins, offline uploads, paper sheets, no-shows."""

import asyncio
import json
from datetime import datetime, timedelta

import pytest

from events.core.errors import Conflict, Invalid, NotFound
from events.core.timeutil import TZ, now
from events.door import checkin, tickets
from events.registration import registration as reg
from events.tables import CheckinScan, Event, Registration
from tests.conftest import make_user
from tests.events.test_registration import counts, make_event, phone


@pytest.fixture
async def staff(db):
    return await make_user("staff")


async def started(event: dict) -> dict:
    """The event moved to have begun half an hour ago (walk-ins are taken on its day)."""
    start = datetime.now(TZ).replace(microsecond=0) - timedelta(minutes=30)
    await Event.update({Event.starts_at: start, Event.ends_at: start + timedelta(hours=2)}).where(
        Event.id == event["id"]
    )
    return event


async def test_walk_in_takes_a_seat_and_is_checked_in_at_once(staff):
    event = await started(await make_event(capacity=3, max_party_size=2))
    done = await checkin.walk_in(
        event["id"], {"name": "王阿姨", "phone": "", "party_size": 2}, staff
    )
    assert done["registration"]["status"] == "confirmed"
    assert done["registration"]["phone"] is None and done["registration"]["source"] == "walk_in"
    assert done["answer"]["result"] == "ok"
    scan = await CheckinScan.select().where(CheckinScan.registration == done["registration"]["id"])
    assert [row["method"] for row in scan] == ["walk_in"] and scan[0]["staff"] == staff["id"]
    assert await counts(event["id"]) == (2, 0)
    # one seat left: a party of two is refused, never waitlisted
    with pytest.raises(Conflict) as refused:
        await checkin.walk_in(
            event["id"], {"name": "李伯", "phone": phone(2), "party_size": 2}, staff
        )
    assert refused.value.code == "full"
    assert await counts(event["id"]) == (2, 0)
    with pytest.raises(Invalid):
        await checkin.walk_in(event["id"], {"name": "", "phone": "123"}, staff)


async def test_walk_in_after_the_registration_window_but_not_after_the_end(staff):
    start = datetime.now(TZ).replace(microsecond=0) - timedelta(minutes=30)
    event = await make_event()
    await Event.update(
        {
            Event.starts_at: start,
            Event.ends_at: start + timedelta(hours=2),
            Event.registration_closes_at: start - timedelta(hours=1),
        }
    ).where(Event.id == event["id"])
    with pytest.raises(Conflict):
        await reg.register(event["id"], {"name": "线上", "phone": phone(1)})
    done = await checkin.walk_in(event["id"], {"name": "现场", "phone": phone(1)}, staff)
    assert done["answer"]["result"] == "ok"
    await Event.update({Event.ends_at: now() - timedelta(minutes=1)}).where(Event.id == event["id"])
    with pytest.raises(Conflict) as closed:
        await checkin.walk_in(event["id"], {"name": "迟到", "phone": phone(2)}, staff)
    assert closed.value.code == "closed"


async def _qr(event_id, registration_id):
    return tickets.qr_text("https://x.example", await tickets.sign(event_id, registration_id))


async def test_offline_uploads_keep_the_earliest_scan_and_count_once(staff):
    event = await make_event(capacity=5)
    person = await reg.register(event["id"], {"name": "甲", "phone": phone(1)})
    qr = await _qr(event["id"], person["id"])
    early = (now() - timedelta(minutes=10)).isoformat()
    late = (now() - timedelta(minutes=5)).isoformat()
    # device B uploads first (its scan was later), then device A (earlier)
    b = await checkin.sync(event["id"], [{"nonce": "b1", "qr": qr, "scanned_at": late}], staff, "B")
    a = await checkin.sync(
        event["id"], [{"nonce": "a1", "qr": qr, "scanned_at": early}], staff, "A"
    )
    assert [b[0]["result"], a[0]["result"]] == ["ok", "duplicate"]
    row = await Registration.select().where(Registration.id == person["id"]).first()
    assert row["checked_in_at"] == datetime.fromisoformat(early)
    # the same upload again (a retry after a cut connection) changes nothing
    again = await checkin.sync(
        event["id"], [{"nonce": "a1", "qr": qr, "scanned_at": early}], staff, "A"
    )
    assert again[0]["result"] == "duplicate"
    assert await CheckinScan.count().where(CheckinScan.registration == person["id"]) == 2
    assert (await checkin.counts(event["id"]))["checked_in"] == 1
    with pytest.raises(Invalid):
        await checkin.sync(event["id"], [{"qr": qr}], staff, "A")  # no nonce


async def test_simultaneous_offline_uploads_of_one_ticket(staff):
    event = await make_event(capacity=5)
    person = await reg.register(event["id"], {"name": "甲", "phone": phone(1)})
    qr = await _qr(event["id"], person["id"])
    uploads = await asyncio.gather(
        *(
            checkin.sync(event["id"], [{"nonce": f"d{n}", "qr": qr}], staff, f"dev{n}")
            for n in range(8)
        )
    )
    results = sorted(upload[0]["result"] for upload in uploads)
    assert results == ["duplicate"] * 7 + ["ok"]


async def test_paper_sheet_and_no_shows(staff):
    start = datetime.now(TZ).replace(microsecond=0) - timedelta(hours=3)
    event = await make_event()
    await Event.update({Event.starts_at: start, Event.ends_at: start + timedelta(hours=5)}).where(
        Event.id == event["id"]
    )
    people = []
    for n in range(4):
        people.append(await reg.register(event["id"], {"name": f"人{n}", "phone": phone(n)}))
    sheet = await checkin.sheet(event["id"])
    assert [row["phone"] for row in sheet] == [f"138****000{n}" for n in range(4)]
    assert sheet[0]["code"] == tickets.manual_code(sheet[0]["id"])
    tally = await checkin.record_paper(event["id"], [people[0]["id"], people[1]["id"]], staff)
    assert tally == {"ok": 2}
    again = await checkin.record_paper(event["id"], [people[0]["id"]], staff)
    assert again == {"duplicate": 1}
    await Event.update({Event.ends_at: now() - timedelta(minutes=1)}).where(Event.id == event["id"])
    missing = await checkin.no_shows(event["id"])
    assert missing["ended"] and missing["people"] == 2
    assert {row["id"] for row in missing["registrations"]} == {people[2]["id"], people[3]["id"]}


async def _counters_match(*event_ids):
    for event_id in event_ids:
        row = await Event.select(Event.confirmed, Event.checked_in).where(Event.id == event_id)
        regs = await Registration.select().where(
            (Registration.event == event_id) & (Registration.status == "confirmed")
        )
        confirmed = sum(r["party_size"] for r in regs)
        came = sum(r["party_size"] for r in regs if r["checked_in_at"])
        assert (row[0]["confirmed"], row[0]["checked_in"]) == (confirmed, came), event_id
    return True


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
    assert (await checkin.check_in(event["id"], qr=await _qr(event["id"], a["id"])))[
        "result"
    ] == "ok"
    await checkin.check_in(event["id"], registration_id=b["id"], staff=staff, method="search")
    assert await _counters_match(event["id"])
    await reg.cancel(a["ticket_token"], by="organizer")  # organizer cancels; 丙 promoted
    assert await _counters_match(event["id"])
    await admin.restore(a["id"], staff)  # back (waitlisted: no seats), check-in kept
    assert await _counters_match(event["id"])
    await admin.move(c["id"], other["id"], staff)  # (a checked-in person cannot be moved)
    assert await _counters_match(event["id"], other["id"])
    await started(other)
    await checkin.walk_in(other["id"], {"name": "丁", "phone": phone(9)}, staff)
    assert await _counters_match(event["id"], other["id"])
    await scheduling.update_event(other["id"], {"status": "cancelled"}, staff)
    assert await _counters_match(event["id"], other["id"])


async def test_walk_in_before_the_event_day_is_refused(staff):
    event = await make_event()  # in five days
    with pytest.raises(Conflict) as early:
        await checkin.walk_in(event["id"], {"name": "提前", "phone": phone(1)}, staff)
    assert early.value.code == "closed"
    assert await Registration.count() == 0


async def test_a_refused_upload_records_nothing(staff):
    """One malformed scan in an offline upload refuses the whole upload before any is kept."""
    event = await make_event(capacity=5)
    person = await reg.register(event["id"], {"name": "甲", "phone": phone(1)})
    scans = [{"registration_id": person["id"], "nonce": "good-1"}, {"qr": "x", "nonce": 5}]
    with pytest.raises(Invalid):
        await checkin.sync(event["id"], scans, staff, "A")
    row = await Registration.select().where(Registration.id == person["id"]).first()
    assert row["checked_in_at"] is None
    assert await CheckinScan.count() == 0


async def test_a_nonce_from_another_event_is_not_a_retry(staff):
    here = await make_event(capacity=5)
    there = await make_event(capacity=5)
    one = await reg.register(here["id"], {"name": "甲", "phone": phone(1)})
    other = await reg.register(there["id"], {"name": "乙", "phone": phone(2)})
    first = await checkin.check_in(here["id"], qr=await _qr(here["id"], one["id"]), nonce="n-1")
    assert first["result"] == "ok"
    # the same nonce at the other event: judged on its own (here a genuine first scan there)
    elsewhere = await checkin.check_in(
        there["id"], qr=await _qr(there["id"], other["id"]), nonce="n-1"
    )
    assert elsewhere["result"] == "ok" and elsewhere["registration"]["id"] == other["id"]
    # and the ticket of the first event at the second: wrong_event, not the stored "ok"
    wrong = await checkin.check_in(there["id"], qr=await _qr(here["id"], one["id"]), nonce="n-1")
    assert wrong["result"] == "wrong_event"
    # a true retry at the first event still returns the first answer
    again = await checkin.check_in(here["id"], qr=await _qr(here["id"], one["id"]), nonce="n-1")
    assert again == first


async def test_offline_times_outside_the_product_years_are_ignored(staff):
    event = await make_event(capacity=5)
    person = await reg.register(event["id"], {"name": "甲", "phone": phone(1)})
    scans = [{"registration_id": person["id"], "nonce": "t-1", "scanned_at": "0001-01-01T00:00"}]
    [answer] = await checkin.sync(event["id"], scans, staff, "A")
    assert answer["result"] == "ok"
    assert answer["checked_in_at"].year >= 2000


async def test_search_says_which_field_is_wrong(staff):
    event = await make_event(capacity=5)
    with pytest.raises(Invalid) as long_name:
        await checkin.search(event["id"], "0001", "名" * 51)
    assert long_name.value.fields == {"name": "姓名不能超过 50 个字"}
    with pytest.raises(Invalid) as other_digits:
        await checkin.search(event["id"], "０００１", "甲")
    assert "last4" in other_digits.value.fields


async def test_undo_takes_a_check_in_back_and_is_logged(staff):
    from events.tables import AuditLog

    event = await make_event(capacity=5)
    person = await reg.register(event["id"], {"name": "甲", "phone": phone(1), "party_size": 2})
    first = await checkin.check_in(event["id"], registration_id=person["id"], staff=staff)
    assert first["result"] == "ok"
    assert await _counters_match(event["id"])
    undone = await checkin.undo(event["id"], person["id"], staff, "phone-1", "扫错了人")
    assert undone["checked_in_at"] is None
    row = await Registration.select().where(Registration.id == person["id"]).first()
    assert row["checked_in_at"] is None
    assert await _counters_match(event["id"])
    scans = await CheckinScan.select().where(CheckinScan.registration == person["id"])
    assert [s["result"] for s in sorted(scans, key=lambda s: s["id"])] == ["ok", "undone"]
    [entry] = await AuditLog.select().where(AuditLog.action == "checkin.undo")
    after = json.loads(entry["after"]) if isinstance(entry["after"], str) else entry["after"]
    assert entry["object_id"] == person["id"] and after["reason"] == "扫错了人"
    with pytest.raises(Conflict):  # nothing left to take back
        await checkin.undo(event["id"], person["id"], staff)
    again = await checkin.check_in(event["id"], registration_id=person["id"], staff=staff)
    assert again["result"] == "ok"  # checked in anew, counted once
    assert await _counters_match(event["id"])
    other = await make_event()
    with pytest.raises(NotFound):  # the registration of another event
        await checkin.undo(other["id"], person["id"], staff)
