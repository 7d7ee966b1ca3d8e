"""The organizer's registration list and questions pages, and the event form's new flags."""

import json
from datetime import datetime, timedelta

from events.core.timeutil import TZ
from events.registration import admin
from events.registration import registration as reg
from events.tables import AuditLog, Event, Question
from tests.pages.test_manage import event_form, login, make_event, new_id, post_form
from tests.registration.test_registration import counts


def phone(n: int) -> str:
    return f"139{n:08d}"


async def signup(event, n, party=1, **extra):
    body = {"name": f"居民{n}", "phone": phone(n), "party_size": party, **extra}
    return await reg.register(event["id"], body)


def url(event, tail="registrations"):
    return f"/manage/events/{event['id']}/{tail}"


async def test_only_organizers_and_admins_see_the_pages(client, db):
    event = await make_event()
    one = await signup(event, 1)
    response = await client.get(url(event), follow_redirects=False)
    assert response.status_code in (302, 303)
    assert response.headers["location"].startswith("/login")
    await login(client, "staff")
    assert (await client.get(url(event))).status_code == 403
    assert (await client.get(url(event, "questions"))).status_code == 403
    cancel = f"{url(event)}/{one['id']}/cancel"
    assert (await post_form(client, cancel, {"confirm": "true"})).status_code == 403
    assert (await admin.get_registration(one["id"]))["status"] == "confirmed"


async def test_organizer_sees_masked_phones_counts_and_positions(client, db):
    event = await make_event(capacity=2, max_party_size=2, ask_company=True)
    await signup(event, 1234, 2, company="杭州运河科技有限公司")
    await signup(event, 2, name="王小明", company="拱墅数智公司")
    await login(client, "organizer")
    page = await client.get(url(event))
    assert page.status_code == 200
    assert "139****1234" in page.text and "13900001234" not in page.text
    assert "王小明" in page.text and "杭州运河科技有限公司" in page.text
    assert "第 1 位" in page.text and "2/2" in page.text
    found = await client.get(url(event), params={"q": "1234"})
    assert "居民1234" in found.text and "王小明" not in found.text
    waiting = await client.get(url(event), params={"status": "waitlisted"})
    assert "王小明" in waiting.text and "居民1234" not in waiting.text
    detail = await client.get(f"/manage/events/{event['id']}")
    assert url(event) in detail.text and url(event, "questions") in detail.text
    assert (await client.get("/manage/events/999999/registrations")).status_code == 404


async def test_cancel_needs_csrf_and_confirmation_and_is_audited(client, db):
    event = await make_event(capacity=1, max_party_size=1)
    first = await signup(event, 1)
    waiting = await signup(event, 2)
    user = await login(client, "organizer")
    cancel = f"{url(event)}/{first['id']}/cancel"
    no_token = await client.post(cancel, data={"confirm": "true"}, follow_redirects=False)
    assert no_token.status_code == 403
    unconfirmed = await post_form(client, cancel, {"reason": "重复"})
    assert unconfirmed.status_code == 422 and "请勾选确认" in unconfirmed.text
    done = await post_form(client, cancel, {"confirm": "true", "reason": "重复报名", "q": "居民"})
    assert done.status_code == 303
    assert done.headers["location"] == f"{url(event)}?q=%E5%B1%85%E6%B0%91&done=cancelled"
    assert (await admin.get_registration(first["id"]))["status"] == "cancelled"
    assert (await admin.get_registration(waiting["id"]))["status"] == "confirmed"
    entry = await AuditLog.select().where(AuditLog.action == "registration.cancel").first()
    assert entry["actor"] == user["id"] and json.loads(entry["after"])["reason"] == "重复报名"
    page = await client.get(done.headers["location"])
    assert "已取消这条报名" in page.text and "取消报名" in page.text  # notice, history
    assert await counts(event["id"]) == (1, 0)


async def test_restore_and_move_through_the_page(client, db):
    event = await make_event(title="第一场", series="科普墅", capacity=3, max_party_size=1)
    target = await make_event(title="第二场", series="科普墅", capacity=3, max_party_size=1)
    one = await signup(event, 1)
    two = await signup(event, 2)
    await reg.cancel(one["ticket_token"])
    await login(client, "organizer")
    restored = await post_form(client, f"{url(event)}/{one['id']}/restore")
    assert restored.status_code == 303 and "done=restored" in restored.headers["location"]
    assert (await admin.get_registration(one["id"]))["status"] == "confirmed"
    chooser = await client.get(url(event), params={"move": str(two["id"])})
    assert 'name="to_event"' in chooser.text and "第二场" in chooser.text
    assert f'value="{event["id"]}"' not in chooser.text.split('name="to_event"')[1][:400]
    missing = await post_form(client, f"{url(event)}/{two['id']}/move", {"to_event": ""})
    assert missing.status_code == 422
    moved = await post_form(client, f"{url(event)}/{two['id']}/move", {"to_event": target["id"]})
    assert moved.status_code == 303 and "done=moved" in moved.headers["location"]
    assert (await admin.get_registration(two["id"]))["event"] == target["id"]
    assert await counts(event["id"]) == (1, 0) and await counts(target["id"]) == (1, 0)
    # The moved registration no longer belongs to the first event's page.
    again = await post_form(client, f"{url(event)}/{two['id']}/move", {"to_event": event["id"]})
    assert again.status_code == 404


async def test_refusals_are_shown_on_the_page(client, db):
    event = await make_event(capacity=3, max_party_size=1)
    one = await signup(event, 1)
    await reg.cancel(one["ticket_token"])
    await signup(event, 1)  # the same phone registers again
    await login(client, "admin")
    response = await post_form(client, f"{url(event)}/{one['id']}/restore")
    assert response.status_code == 409
    assert "已有有效报名" in response.text
    assert await counts(event["id"]) == (1, 0)
    # An event that is over: the list is read-only, and the actions refuse.
    past = datetime.now(TZ) - timedelta(days=1)
    await Event.update({Event.starts_at: past, Event.ends_at: past + timedelta(hours=2)}).where(
        Event.id == event["id"]
    )
    page = await client.get(url(event))
    assert "/restore" not in page.text and "/cancel" not in page.text and "只读" in page.text
    refused = await post_form(client, f"{url(event)}/{one['id']}/restore")
    assert refused.status_code == 409 and "活动已结束" in refused.text


async def test_questions_page_adds_validates_and_removes(client, db):
    event = await make_event()
    await login(client, "organizer")
    page = await client.get(url(event, "questions"))
    assert page.status_code == 200 and 'name="q2_label"' in page.text
    form = {
        "rows": "3",
        "q0_label": "孩子年级",
        "q0_kind": "single",
        "q0_options": "一年级\r\n二年级\r\n",
        "q0_required": "true",
        "q1_label": "",
        "q1_kind": "single",
        "q1_options": "只有一个",
        "q2_label": "",
    }
    bad = await post_form(client, url(event, "questions"), form)
    assert bad.status_code == 422
    assert 'id="f-q1_label-error"' in bad.text and 'id="f-q1_options-error"' in bad.text
    assert await Question.count().where(Question.event == event["id"]) == 0
    form.update(q1_label="备注", q1_kind="text")
    saved = await post_form(client, url(event, "questions"), form)
    assert saved.status_code == 303 and saved.headers["location"].endswith("done=questions")
    questions = await admin.questions_of(event["id"])
    assert [(q["label"], q["options"], q["required"]) for q in questions] == [
        ("孩子年级", ["一年级", "二年级"], True),
        ("备注", [], False),
    ]
    edit = await client.get(url(event, "questions"))
    assert f'value="{questions[0]["id"]}"' in edit.text and 'name="q4_label"' in edit.text
    removal = {
        "rows": "2",
        "q0_id": str(questions[0]["id"]),
        "q0_label": "孩子年级",
        "q0_kind": "single",
        "q0_options": "一年级\n二年级",
        "q0_remove": "true",
        "q1_id": str(questions[1]["id"]),
        "q1_label": "备注（可选）",
        "q1_kind": "text",
    }
    assert (await post_form(client, url(event, "questions"), removal)).status_code == 303
    left = await admin.questions_of(event["id"])
    assert [q["label"] for q in left] == ["备注（可选）"]
    assert await AuditLog.count().where(AuditLog.action == "event.questions") == 2


async def test_event_form_sets_family_and_company_flags(client, db):
    await login(client, "organizer")
    form = event_form(kind="study_trip", family="true", ask_company="on")
    response = await post_form(client, "/manage/events/new", form)
    assert response.status_code == 303
    event_id = new_id(response)
    row = await Event.select().where(Event.id == event_id).first()
    assert row["family"] is True and row["ask_company"] is True
    detail = await client.get(f"/manage/events/{event_id}")
    assert " · 亲子活动：按成人/儿童计名额 · 需填写单位</dd>" in detail.text
    edit = await client.get(f"/manage/events/{event_id}/edit")
    assert 'name="family" type="checkbox" value="true" checked' in edit.text
    saved = await post_form(client, f"/manage/events/{event_id}/edit", event_form(kind="lecture"))
    assert saved.status_code == 303
    row = await Event.select().where(Event.id == event_id).first()
    assert row["family"] is False and row["ask_company"] is False
    detail = await client.get(f"/manage/events/{event_id}")
    assert " · 亲子活动" not in detail.text
    assert "<b>亲子活动：按成人/儿童计名额</b>" in detail.text  # the change, in the history


async def test_admin_audit_log_names_the_registration_actions(client, db):
    event = await make_event()
    one = await signup(event, 1)
    user = await login(client, "admin")
    await admin.organizer_cancel(one["id"], user, "场地调整")
    await admin.restore(one["id"], user)
    page = await client.get("/manage/audit", params={"action": "registration."})
    assert page.status_code == 200
    assert "取消报名" in page.text and "恢复报名" in page.text and "场地调整" in page.text


async def test_notices_say_what_happened(client, db):
    event = await make_event(capacity=1)
    one = await signup(event, 1)
    await login(client, "organizer")
    cancelled = await post_form(client, f"{url(event)}/{one['id']}/cancel", {"confirm": "on"})
    assert cancelled.status_code == 303
    page = await client.get(cancelled.headers["location"])
    assert "如有人数合适的候补" in page.text
    await signup(event, 2)  # takes the only seat
    restored = await post_form(client, f"{url(event)}/{one['id']}/restore")
    page = await client.get(restored.headers["location"])
    assert "名额不足，已排在候补末尾" in page.text
    row = await admin.get_registration(one["id"])
    assert row["status"] == "waitlisted"


async def test_filter_by_checked_in_and_the_badge_shows(client, db):
    from events.door import checkin

    event = await make_event(capacity=5)
    came = await signup(event, 1)
    await signup(event, 2)
    await checkin.check_in(event["id"], registration_id=came["id"])
    await login(client, "organizer")
    inside = await client.get(url(event), params={"status": "checked_in"})
    assert "居民1" in inside.text and "居民2" not in inside.text
    assert 'class="badge ok">已签到<' in inside.text
    missing = await client.get(url(event), params={"status": "not_checked_in"})
    assert "居民2" in missing.text and "居民1" not in missing.text
    assert '<option value="not_checked_in" selected>' in missing.text
