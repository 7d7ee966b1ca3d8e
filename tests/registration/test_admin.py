"""Organizer actions on registrations: cancel, restore, move, list; custom questions."""

import asyncio
import json
from datetime import datetime, timedelta

import pytest

from events.core.errors import Invalid, NotFound
from events.core.timeutil import TZ
from events.door import ticket_view
from events.registration import admin
from events.registration import registration as reg
from events.scheduling import scheduling
from events.tables import AuditLog, Event, OutboxMessage, Question, Registration
from tests.conftest import make_user
from tests.registration.test_registration import counts, make_event, phone


async def signup(event, n, party=1, **extra):
    body = {"name": f"居民{n}", "phone": phone(n), "party_size": party, **extra}
    return await reg.register(event["id"], body)


async def status_of(registration):
    return (await admin.get_registration(registration["id"]))["status"]


async def waiting_is_exact(event_id):
    """The `waiting` counter (registrations in line) equals the rows, as `counts` does for seats."""
    row = await Event.select(Event.waiting).where(Event.id == event_id).first()
    rows = await Registration.count().where(
        (Registration.event == event_id) & (Registration.status == "waitlisted")
    )
    assert row["waiting"] == rows
    return rows


async def audit_actions(registration_id):
    rows = await AuditLog.select(AuditLog.action, AuditLog.after).where(
        (AuditLog.object_type == "registration") & (AuditLog.object_id == registration_id)
    )
    return rows


async def test_organizer_cancel_frees_seats_promotes_and_keeps_the_reason(db):
    organizer = await make_user("organizer")
    event = await make_event(capacity=2, max_party_size=2)
    first = await signup(event, 1, 2)
    waiting = await signup(event, 2, 2)
    assert waiting["status"] == "waitlisted"
    done = await admin.organizer_cancel(first["id"], organizer, reason="重复报名")
    assert done["status"] == "cancelled" and done["cancelled_by"] == "organizer"
    assert await status_of(waiting) == "confirmed"
    assert await counts(event["id"]) == (2, 0)
    rows = await audit_actions(first["id"])
    cancel = next(row for row in rows if row["action"] == "registration.cancel")
    assert json.loads(cancel["after"])["reason"] == "重复报名"
    message = await OutboxMessage.select().where(
        (OutboxMessage.kind == "cancelled") & (OutboxMessage.subject_id == first["id"])
    )
    assert json.loads(message[0]["payload"])["reason"] == "重复报名"
    again = await admin.organizer_cancel(first["id"], organizer)  # a second click: nothing
    assert again["status"] == "cancelled"
    assert len(await audit_actions(first["id"])) == len(rows)


async def test_organizer_cancel_checks_the_event_and_the_reason(db):
    event = await make_event()
    other = await make_event(title="另一场")
    one = await signup(event, 1)
    with pytest.raises(NotFound):
        await admin.organizer_cancel(one["id"], None, event_id=other["id"])
    with pytest.raises(Invalid) as caught:
        await admin.organizer_cancel(one["id"], None, reason="第一行\n第二行")
    assert "reason" in caught.value.fields
    for bad in (0, -1, 2**40, True, "1"):
        with pytest.raises(NotFound):
            await admin.organizer_cancel(bad, None)
    assert await status_of(one) == "confirmed"


async def test_restore_into_free_seats(db):
    event = await make_event(capacity=3, max_party_size=2)
    one = await signup(event, 1, 2)
    await reg.cancel(one["ticket_token"])
    restored = await admin.restore(one["id"], None)
    assert restored["status"] == "confirmed" and restored["waitlist_position"] is None
    assert restored["cancelled_at"] is None and restored["cancelled_by"] == ""
    assert restored["ticket_token"] == one["ticket_token"]
    assert await counts(event["id"]) == (2, 0)
    actions = [row["action"] for row in await audit_actions(one["id"])]
    assert "registration.restore" in actions
    assert (
        await OutboxMessage.count().where(
            (OutboxMessage.kind == "confirmed") & (OutboxMessage.subject_id == one["id"])
        )
        == 2
    )  # the first confirmation and the restore's (SMS only: no e-mail given)
    assert (await admin.restore(one["id"], None))["status"] == "confirmed"  # idempotent


async def test_restore_goes_to_the_end_of_the_waitlist(db):
    event = await make_event(capacity=2, max_party_size=2)
    one = await signup(event, 1, 2)
    await reg.cancel(one["ticket_token"])
    two = await signup(event, 2, 2)
    three = await signup(event, 3, 1)
    assert (two["status"], three["status"]) == ("confirmed", "waitlisted")
    restored = await admin.restore(one["id"], None)
    assert restored["status"] == "waitlisted" and restored["waitlist_position"] == 2
    assert restored["seq"] > three["seq"]
    assert await counts(event["id"]) == (2, 3)
    assert await waiting_is_exact(event["id"]) == 2
    await reg.cancel(two["ticket_token"])  # 2 seats free: the first in line takes 1
    assert await status_of(three) == "confirmed"
    assert await status_of(one) == "waitlisted"  # 1 seat left, a party of 2 keeps its place
    assert await counts(event["id"]) == (1, 2)


async def test_restore_is_refused_when_the_phone_is_active_or_the_event_is_over(db):
    event = await make_event(capacity=5, waitlist=False, max_party_size=1)
    one = await signup(event, 1)
    await reg.cancel(one["ticket_token"])
    again = await signup(event, 1)  # the same phone registers anew
    with pytest.raises(admin.PhoneActive) as caught:
        await admin.restore(one["id"], None)
    assert caught.value.code == "phone_active"
    await reg.cancel(again["ticket_token"])
    full = await make_event(capacity=1, waitlist=False, max_party_size=1)
    a = await signup(full, 2)
    await reg.cancel(a["ticket_token"])
    await signup(full, 3)
    with pytest.raises(reg.EventFull):
        await admin.restore(a["id"], None)
    past = datetime.now(TZ) - timedelta(days=1)
    await Event.update({Event.starts_at: past, Event.ends_at: past + timedelta(hours=1)}).where(
        Event.id == event["id"]
    )
    with pytest.raises(admin.EventClosed) as caught:
        await admin.restore(one["id"], None)
    assert caught.value.code == "event_closed"
    cancelled = await make_event()
    b = await signup(cancelled, 4)
    await scheduling.update_event(cancelled["id"], {"status": "cancelled"}, None)
    with pytest.raises(admin.EventClosed):
        await admin.restore(b["id"], None)
    assert await counts(event["id"]) == (0, 0)
    assert await counts(full["id"]) == (1, 0)


async def test_move_keeps_counts_exact_on_both_sides_and_promotes_in_the_source(db):
    organizer = await make_user("organizer")
    source = await make_event(title="第一场", capacity=2, max_party_size=2)
    target = await make_event(title="第二场", capacity=3, max_party_size=2)
    mover = await signup(source, 1, 2)
    waiting = await signup(source, 2, 2)
    await signup(target, 3, 2)
    moved = await admin.move(mover["id"], target["id"], organizer)
    assert moved["event"] == target["id"] and moved["ticket_token"] == mover["ticket_token"]
    assert moved["status"] == "waitlisted" and moved["waitlist_position"] == 1  # 1 seat left
    assert await status_of(waiting) == "confirmed"
    assert await counts(source["id"]) == (2, 0)
    assert await counts(target["id"]) == (2, 2)
    ticket = await ticket_view.ticket(mover["ticket_token"], "http://x")
    assert ticket["event_id"] == target["id"]
    rows = await audit_actions(mover["id"])
    move = next(row for row in rows if row["action"] == "registration.move")
    assert json.loads(move["after"]) == {"event": target["id"], "status": "waitlisted"}
    assert await waiting_is_exact(target["id"]) == 1
    back = await admin.move(mover["id"], source["id"], organizer)  # full now: waitlisted
    assert back["status"] == "waitlisted"
    assert await counts(source["id"]) == (2, 2)
    assert await counts(target["id"]) == (2, 0)
    assert await waiting_is_exact(source["id"]) == 1
    assert await waiting_is_exact(target["id"]) == 0


async def test_move_is_refused_when_it_cannot_be_done(db):
    source = await make_event(title="第一场", capacity=5, max_party_size=3)
    target = await make_event(title="第二场", capacity=5, max_party_size=1)
    one = await signup(source, 1)
    big = await signup(source, 2, 3)
    await signup(target, 1)  # the same phone is already in the target
    with pytest.raises(admin.PhoneActive):
        await admin.move(one["id"], target["id"], None)
    with pytest.raises(admin.MoveRefused):
        await admin.move(one["id"], source["id"], None)
    with pytest.raises(admin.MoveRefused):
        await admin.move(big["id"], target["id"], None)  # a party of 3, the target takes 1
    with pytest.raises(NotFound):
        await admin.move(one["id"], 999_999, None)
    await reg.cancel(one["ticket_token"])
    with pytest.raises(admin.NotActive):
        await admin.move(one["id"], target["id"], None)
    assert await counts(source["id"]) == (3, 0)
    assert await counts(target["id"]) == (1, 0)


async def test_concurrent_organizer_cancels_and_registrations_keep_counts_exact(db):
    organizer = await make_user("organizer")
    event = await make_event(capacity=10, max_party_size=2)
    first = [await signup(event, i, 1 + i % 2) for i in range(15)]
    tasks = [admin.organizer_cancel(r["id"], organizer, "调整") for r in first[:8]]
    tasks += [admin.restore(r["id"], organizer) for r in first[:3]]
    tasks += [signup(event, 100 + i, 1 + i % 2) for i in range(10)]
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert not [r for r in results if isinstance(r, Exception)], results
    confirmed, _ = await counts(event["id"])
    waiting = await Registration.select().where(
        (Registration.event == event["id"]) & (Registration.status == "waitlisted")
    )
    assert all(r["party_size"] > 10 - confirmed for r in waiting)  # nobody waits who fits
    await waiting_is_exact(event["id"])


async def test_concurrent_moves_in_both_directions_do_not_deadlock(db):
    a = await make_event(title="甲场", capacity=6, max_party_size=1)
    b = await make_event(title="乙场", capacity=6, max_party_size=1)
    in_a = [await signup(a, i) for i in range(5)]
    in_b = [await signup(b, 50 + i) for i in range(5)]
    tasks = [admin.move(r["id"], b["id"], None) for r in in_a]
    tasks += [admin.move(r["id"], a["id"], None) for r in in_b]
    results = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 60)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(await counts(a["id"])) == sum(await counts(b["id"])) == 5


async def test_list_shows_masked_phones_counts_positions_and_searches(db):
    event = await make_event(capacity=2, max_party_size=1)
    await Question.insert(Question(event=event["id"], label="单位类型", kind="text"))
    question = await Question.select().where(Question.event == event["id"]).first()
    rows = [
        await signup(event, 1234, answers={str(question["id"]): "高校"}),
        await signup(event, 2, name="王小明"),
        await signup(event, 3),
        await signup(event, 4),
    ]
    await reg.cancel(rows[2]["ticket_token"])  # a waiting one leaves
    listing = await admin.list_registrations(event["id"])
    assert listing["counts"]["confirmed"] == {"count": 2, "people": 2}
    assert listing["counts"]["waitlisted"] == {"count": 1, "people": 1}
    assert listing["counts"]["cancelled"]["count"] == 1
    statuses = [row["status"] for row in listing["rows"]]
    assert statuses == ["confirmed", "confirmed", "waitlisted", "cancelled"]
    text = repr(listing)
    assert "13800001234" not in text and "138****1234" in text
    assert listing["rows"][0]["answers"] == [("单位类型", "高校")]
    await signup(event, 5)
    await signup(event, 6)
    waiting = await admin.list_registrations(event["id"], status="waitlisted")
    assert [row["position"] for row in waiting["rows"]] == [1, 2, 3]
    found = await admin.list_registrations(event["id"], search="1234")
    assert [row["name"] for row in found["rows"]] == ["居民1234"]
    found = await admin.list_registrations(event["id"], search="小明")
    assert [row["name"] for row in found["rows"]] == ["王小明"] and found["total"] == 1
    found = await admin.list_registrations(event["id"], status="waitlisted", search="居民6")
    assert [row["position"] for row in found["rows"]] == [3]
    # LIKE wildcards are dropped from the search text (as in the catalogue).
    assert (await admin.list_registrations(event["id"], search="王%_"))["total"] == 1


async def test_move_targets_put_the_same_series_first(db):
    event = await make_event(series="科普墅")
    start = datetime.now(TZ).replace(microsecond=0) + timedelta(days=1)
    other = await make_event(title="更早的另一系列", series="", starts_at=start)
    same = await make_event(title="同系列下一场", series="科普墅")
    await make_event(title="草稿", series="科普墅", status="draft")
    targets = await admin.move_targets(event["id"])
    assert [t["id"] for t in targets] == [same["id"], other["id"]]
    assert targets[0]["same_series"] and not targets[1]["same_series"]


def q(label="孩子年级", kind="single", options=("一年级", "二年级"), required=True, **extra):
    return {"label": label, "kind": kind, "options": list(options), "required": required, **extra}


@pytest.mark.parametrize(
    "questions,field",
    [
        ([q(label="")], "0.label"),
        ([q(label="x" * 201)], "0.label"),
        ([q(label="a\nb")], "0.label"),
        ([q(kind="essay")], "0.kind"),
        ([q(options=["只有一个"])], "0.options"),
        ([q(options=[f"选项{i}" for i in range(21)])], "0.options"),
        ([q(options=["一", "x" * 51])], "0.options"),
        ([q(options=["同", "同"])], "0.options"),
        ([q(), q(kind="text", options=())], "1.label"),  # the same label twice
        ([q(required="yes")], "0.required"),
        ([q(id=999_999)], "0.label"),
        ([q(label=f"问题{i}", kind="text") for i in range(21)], "questions"),
    ],
)
async def test_questions_are_validated_per_field(db, questions, field):
    event = await make_event()
    with pytest.raises(Invalid) as caught:
        await admin.set_questions(event["id"], questions, None)
    assert field in caught.value.fields, caught.value.fields
    assert await Question.count().where(Question.event == event["id"]) == 0


async def test_questions_are_replaced_and_old_answers_stay(db):
    organizer = await make_user("organizer")
    event = await make_event()
    questions = [q(required=False), q(label="备注", kind="text", options=["忽略"], required=False)]
    saved = await admin.set_questions(event["id"], questions, organizer)
    assert [(s["label"], s["options"]) for s in saved] == [
        ("孩子年级", ["一年级", "二年级"]),
        ("备注", []),
    ]
    grade, note = saved
    one = await signup(event, 1, answers={str(note["id"]): "无"})
    listing = await admin.list_registrations(event["id"])
    assert listing["rows"][0]["answers"] == [("备注", "无")]
    # After a registration: labels and options may change, the type may not.
    with pytest.raises(Invalid) as caught:
        await admin.set_questions(event["id"], [q(id=grade["id"], kind="multiple")], organizer)
    assert "0.kind" in caught.value.fields
    edited = await admin.set_questions(
        event["id"],
        [q(label="年级", kind="text", options=()), q(id=grade["id"], label="孩子的年级")],
        organizer,
    )
    assert [e["label"] for e in edited] == ["年级", "孩子的年级"]
    assert edited[1]["id"] == grade["id"] and edited[1]["required"]
    stored = await admin.get_registration(one["id"])
    answers = stored["answers"]
    answers = json.loads(answers) if isinstance(answers, str) else answers
    assert answers == {str(note["id"]): "无"}  # the removed question's answer is kept
    assert (await admin.list_registrations(event["id"]))["rows"][0]["answers"] == []
    logged = await AuditLog.select().where(AuditLog.action == "event.questions")
    assert len(logged) == 2 and all(row["actor"] == organizer["id"] for row in logged)
    assert json.loads(logged[1]["after"])["questions"] == ["年级*", "孩子的年级*"]
    third = await admin.set_questions(event["id"], [q(label="年级", kind="text", options=())], None)
    unchanged = await admin.set_questions(
        event["id"], [q(id=third[0]["id"], label="年级", kind="text", options=())], organizer
    )
    assert len(unchanged) == 1
    assert await AuditLog.count().where(AuditLog.action == "event.questions") == 3


async def test_a_removed_questions_id_is_never_given_to_a_new_one(db):
    """SQLite gives a new row the highest id + 1: a question removed in one save must not
    lend its id (and its answers) to a question added in a later save."""
    event = await make_event()
    first = await admin.set_questions(event["id"], [q(label="单位", kind="text", options=())], None)
    old = first[0]["id"]
    await signup(event, 1, answers={str(old): "拱墅区科技局"})
    await admin.set_questions(event["id"], [], None)
    added = await admin.set_questions(event["id"], [q(label="年龄", kind="text", options=())], None)
    assert added[0]["id"] != old
    listing = await admin.list_registrations(event["id"])
    assert listing["rows"][0]["answers"] == []
    assert [question["label"] for question in await admin.questions_of(event["id"])] == ["年龄"]


async def test_questions_of_a_cancelled_event_cannot_change(db):
    event = await make_event()
    await scheduling.update_event(event["id"], {"status": "cancelled"}, None)
    with pytest.raises(admin.EventClosed):
        await admin.set_questions(event["id"], [q()], None)
