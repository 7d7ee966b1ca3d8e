"""Offline uploads: the earliest scan kept, a person counted once, a refused upload kept whole."""

import asyncio
from datetime import datetime, timedelta

import pytest

from events.core.errors import Invalid
from events.core.timeutil import now
from events.door import checkin, offline
from events.registration import registration as reg
from events.tables import CheckinScan, Registration
from tests.door.helpers import qr_of
from tests.registration.test_registration import make_event, phone


async def test_offline_uploads_keep_the_earliest_scan_and_count_once(staff):
    event = await make_event(capacity=5)
    person = await reg.register(event["id"], {"name": "甲", "phone": phone(1)})
    qr = await qr_of(event["id"], person["id"])
    early = (now() - timedelta(minutes=10)).isoformat()
    late = (now() - timedelta(minutes=5)).isoformat()
    # device B uploads first (its scan was later), then device A (earlier)
    b = await offline.sync(event["id"], [{"nonce": "b1", "qr": qr, "scanned_at": late}], staff, "B")
    a = await offline.sync(
        event["id"], [{"nonce": "a1", "qr": qr, "scanned_at": early}], staff, "A"
    )
    assert [b[0]["result"], a[0]["result"]] == ["ok", "duplicate"]
    row = await Registration.select().where(Registration.id == person["id"]).first()
    assert row["checked_in_at"] == datetime.fromisoformat(early)
    # the same upload again (a retry after a cut connection) changes nothing
    again = await offline.sync(
        event["id"], [{"nonce": "a1", "qr": qr, "scanned_at": early}], staff, "A"
    )
    assert again[0]["result"] == "duplicate"
    assert await CheckinScan.count().where(CheckinScan.registration == person["id"]) == 2
    assert (await checkin.counts(event["id"]))["checked_in"] == 1
    with pytest.raises(Invalid):
        await offline.sync(event["id"], [{"qr": qr}], staff, "A")  # no nonce


async def test_simultaneous_offline_uploads_of_one_ticket(staff):
    event = await make_event(capacity=5)
    person = await reg.register(event["id"], {"name": "甲", "phone": phone(1)})
    qr = await qr_of(event["id"], person["id"])
    uploads = await asyncio.gather(
        *(
            offline.sync(event["id"], [{"nonce": f"d{n}", "qr": qr}], staff, f"dev{n}")
            for n in range(8)
        )
    )
    results = sorted(upload[0]["result"] for upload in uploads)
    assert results == ["duplicate"] * 7 + ["ok"]


async def test_a_refused_upload_records_nothing(staff):
    """One malformed scan in an offline upload refuses the whole upload before any is kept."""
    event = await make_event(capacity=5)
    person = await reg.register(event["id"], {"name": "甲", "phone": phone(1)})
    scans = [{"registration_id": person["id"], "nonce": "good-1"}, {"qr": "x", "nonce": 5}]
    with pytest.raises(Invalid):
        await offline.sync(event["id"], scans, staff, "A")
    row = await Registration.select().where(Registration.id == person["id"]).first()
    assert row["checked_in_at"] is None
    assert await CheckinScan.count() == 0


async def test_offline_times_outside_the_product_years_are_ignored(staff):
    event = await make_event(capacity=5)
    person = await reg.register(event["id"], {"name": "甲", "phone": phone(1)})
    scans = [{"registration_id": person["id"], "nonce": "t-1", "scanned_at": "0001-01-01T00:00"}]
    [answer] = await offline.sync(event["id"], scans, staff, "A")
    assert answer["result"] == "ok"
    assert answer["checked_in_at"].year >= 2000
