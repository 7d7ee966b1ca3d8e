"""Retention: registrations of long-past events are anonymised, and nothing else."""

import json
from datetime import timedelta

import pytest

from events.accounts import audit
from events.core.errors import Invalid
from events.core.timeutil import now
from events.registration import registration as reg
from events.registration import retention
from events.tables import Event, OutboxMessage, Registration
from tests.conftest import make_user
from tests.registration.test_registration import make_event, phone


async def move_to_the_past(event_id, ended_days_ago):
    ends = now() - timedelta(days=ended_days_ago)
    await Event.update({Event.starts_at: ends - timedelta(hours=2), Event.ends_at: ends}).where(
        Event.id == event_id
    )


async def registration(token):
    return await Registration.select().where(Registration.ticket_token == token).first()


async def test_retention_days_default_validation_and_audit(db):
    assert await retention.get_retention_days() == 180
    admin = await make_user("admin")
    assert await retention.set_retention_days(365, admin) == 365
    assert await retention.set_retention_days("90", admin) == 90
    assert await retention.get_retention_days() == 90
    for bad in (29, 3651, "abc", None, True, 90.5):
        with pytest.raises(Invalid):
            await retention.set_retention_days(bad, admin)
    assert await retention.get_retention_days() == 90
    entries = await audit.recent(action_prefix="settings.retention")
    assert (json.loads(entries[0]["before"]), json.loads(entries[0]["after"])) == (
        {"retention_days": 365},
        {"retention_days": 90},
    )
    assert entries[0]["actor_username"] == admin["username"]


async def test_anonymises_only_registrations_of_events_past_the_retention_period(db):
    old = await make_event()
    recent = await make_event()
    upcoming = await make_event()
    people = {}
    for n, event in enumerate((old, recent, upcoming)):
        people[event["id"]] = await reg.register(
            event["id"],
            {"name": "张三", "phone": phone(n), "email": f"p{n}@x.cn", "party_size": 2},
        )
    await move_to_the_past(old["id"], 200)
    await move_to_the_past(recent["id"], 10)

    await retention.set_retention_days(365, None)
    assert await retention.anonymise_past() == 0
    await retention.set_retention_days(180, None)
    assert await retention.anonymise_past() == 1
    assert await retention.anonymise_past() == 0  # idempotent

    gone = await registration(people[old["id"]]["ticket_token"])
    assert (gone["name"], gone["phone"], gone["email"], gone["company"]) == ("已匿名", None, "", "")
    answers = gone["answers"]
    assert (json.loads(answers) if isinstance(answers, str) else answers) == {}
    assert gone["anonymised_at"] is not None
    assert (gone["party_size"], gone["status"]) == (2, "confirmed")  # statistics stay
    for event in (recent, upcoming):
        kept = await registration(people[event["id"]]["ticket_token"])
        assert (kept["name"], kept["anonymised_at"]) == ("张三", None)
        assert kept["phone"] is not None and kept["email"]

    messages = await OutboxMessage.select().where(OutboxMessage.subject_id == gone["id"])
    assert messages and all(m["recipient"] == "" for m in messages)
    assert all(m["status"] == "failed" for m in messages)  # never delivered: given up
    assert all(json.loads(m["payload"]) == {} for m in messages)
    others = await OutboxMessage.select().where(OutboxMessage.subject_id != gone["id"])
    assert all(m["recipient"] and m["status"] == "pending" for m in others)

    runs = await audit.recent(action_prefix="retention.anonymise")
    assert len(runs) == 1 and json.loads(runs[0]["after"])["count"] == 1
    assert runs[0]["actor_username"] is None and runs[0]["actor_name"] == "system"


async def test_several_anonymised_registrations_of_one_event_do_not_collide(db):
    old = await make_event()
    first = await reg.register(old["id"], {"name": "甲", "phone": phone(1)})
    second = await reg.register(old["id"], {"name": "乙", "phone": phone(2)})
    await move_to_the_past(old["id"], 400)
    assert await retention.anonymise_past() == 2
    # Two anonymised rows of one event: NULL phones do not collide in the unique index.
    rows = await Registration.select().where(Registration.event == old["id"])
    assert {r["ticket_token"] for r in rows} == {first["ticket_token"], second["ticket_token"]}
    assert {r["phone"] for r in rows} == {None}
