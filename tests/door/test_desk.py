"""The door desk: walk-ins, the paper sheet and its entry, no-shows, finding a person."""

from datetime import datetime, timedelta

import pytest

from events.core.errors import Conflict, Invalid
from events.core.timeutil import TZ, now
from events.door import desk, door_report, tickets
from events.registration import registration as reg
from events.tables import CheckinScan, Event, Registration
from tests.door.helpers import started
from tests.registration.test_registration import counts, make_event, phone


async def test_walk_in_takes_a_seat_and_is_checked_in_at_once(staff):
    event = await started(await make_event(capacity=3, max_party_size=2))
    done = await desk.walk_in(event["id"], {"name": "王阿姨", "phone": "", "party_size": 2}, staff)
    assert done["registration"]["status"] == "confirmed"
    assert done["registration"]["phone"] is None and done["registration"]["source"] == "walk_in"
    assert done["answer"]["result"] == "ok"
    scan = await CheckinScan.select().where(CheckinScan.registration == done["registration"]["id"])
    assert [row["method"] for row in scan] == ["walk_in"] and scan[0]["staff"] == staff["id"]
    assert await counts(event["id"]) == (2, 0)
    # one seat left: a party of two is refused, never waitlisted
    with pytest.raises(Conflict) as refused:
        await desk.walk_in(event["id"], {"name": "李伯", "phone": phone(2), "party_size": 2}, staff)
    assert refused.value.code == "full"
    assert await counts(event["id"]) == (2, 0)
    with pytest.raises(Invalid):
        await desk.walk_in(event["id"], {"name": "", "phone": "123"}, staff)


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
    done = await desk.walk_in(event["id"], {"name": "现场", "phone": phone(1)}, staff)
    assert done["answer"]["result"] == "ok"
    await Event.update({Event.ends_at: now() - timedelta(minutes=1)}).where(Event.id == event["id"])
    with pytest.raises(Conflict) as closed:
        await desk.walk_in(event["id"], {"name": "迟到", "phone": phone(2)}, staff)
    assert closed.value.code == "closed"


async def test_walk_in_before_the_event_day_is_refused(staff):
    event = await make_event()  # in five days
    with pytest.raises(Conflict) as early:
        await desk.walk_in(event["id"], {"name": "提前", "phone": phone(1)}, staff)
    assert early.value.code == "closed"
    assert await Registration.count() == 0


async def test_paper_sheet_and_no_shows(staff):
    start = datetime.now(TZ).replace(microsecond=0) - timedelta(hours=3)
    event = await make_event()
    await Event.update({Event.starts_at: start, Event.ends_at: start + timedelta(hours=5)}).where(
        Event.id == event["id"]
    )
    people = []
    for n in range(4):
        people.append(await reg.register(event["id"], {"name": f"人{n}", "phone": phone(n)}))
    sheet = await desk.sheet(event["id"])
    assert [row["phone"] for row in sheet] == [f"138****000{n}" for n in range(4)]
    assert sheet[0]["code"] == tickets.manual_code(sheet[0]["id"])
    tally = await desk.record_paper(event["id"], [people[0]["id"], people[1]["id"]], staff)
    assert tally == {"ok": 2}
    again = await desk.record_paper(event["id"], [people[0]["id"]], staff)
    assert again == {"duplicate": 1}
    await Event.update({Event.ends_at: now() - timedelta(minutes=1)}).where(Event.id == event["id"])
    missing = await door_report.no_shows(event["id"])
    assert missing["ended"] and missing["people"] == 2
    assert {row["id"] for row in missing["registrations"]} == {people[2]["id"], people[3]["id"]}


async def test_search_says_which_field_is_wrong(staff):
    event = await make_event(capacity=5)
    with pytest.raises(Invalid) as long_name:
        await desk.search(event["id"], "0001", "名" * 51)
    assert long_name.value.fields == {"name": "姓名不能超过 50 个字"}
    with pytest.raises(Invalid) as other_digits:
        await desk.search(event["id"], "０００１", "甲")
    assert "last4" in other_digits.value.fields
