"""撤销签到: a check-in taken back, counted out and logged."""

import json

import pytest

from events.core.errors import Conflict, NotFound
from events.door import checkin, undo
from events.registration import registration as reg
from events.tables import CheckinScan, Registration
from tests.door.helpers import counters_match
from tests.registration.test_registration import make_event, phone


async def test_undo_takes_a_check_in_back_and_is_logged(staff):
    from events.tables import AuditLog

    event = await make_event(capacity=5)
    person = await reg.register(event["id"], {"name": "甲", "phone": phone(1), "party_size": 2})
    first = await checkin.check_in(event["id"], registration_id=person["id"], staff=staff)
    assert first["result"] == "ok"
    assert await counters_match(event["id"])
    undone = await undo.undo(event["id"], person["id"], staff, "phone-1", "扫错了人")
    assert undone["checked_in_at"] is None
    row = await Registration.select().where(Registration.id == person["id"]).first()
    assert row["checked_in_at"] is None
    assert await counters_match(event["id"])
    scans = await CheckinScan.select().where(CheckinScan.registration == person["id"])
    assert [s["result"] for s in sorted(scans, key=lambda s: s["id"])] == ["ok", "undone"]
    [entry] = await AuditLog.select().where(AuditLog.action == "checkin.undo")
    after = json.loads(entry["after"]) if isinstance(entry["after"], str) else entry["after"]
    assert entry["object_id"] == person["id"] and after["reason"] == "扫错了人"
    with pytest.raises(Conflict):  # nothing left to take back
        await undo.undo(event["id"], person["id"], staff)
    again = await checkin.check_in(event["id"], registration_id=person["id"], staff=staff)
    assert again["result"] == "ok"  # checked in anew, counted once
    assert await counters_match(event["id"])
    other = await make_event()
    with pytest.raises(NotFound):  # the registration of another event
        await undo.undo(other["id"], person["id"], staff)
