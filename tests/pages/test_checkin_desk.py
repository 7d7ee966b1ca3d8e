"""The door desk: 代报名, the printable 签到表, 补录纸质签到, the 签到 button of a ticket's
/c/ page, the check-in figures on the organizer's event page and the demo's scan log."""

from __future__ import annotations

from datetime import datetime, timedelta

from markupsafe import escape

from events.core.timeutil import TZ, now
from events.door import tickets
from events.registration import registration as reg
from events.tables import CheckinScan, Event, Registration, StaffUser
from tests.pages.test_manage import login, make_event, post_form


def phone(n: int) -> str:
    return f"139{n:08d}"


async def person(event_id: int, name: str, n: int, **change) -> dict:
    return await reg.register(event_id, {"name": name, "phone": phone(n), **change})


async def ticket_path(event_id: int, registration_id: int) -> str:
    return "/c/" + await tickets.sign(event_id, registration_id)


async def row_of(registration_id: int) -> dict:
    return await Registration.select().where(Registration.id == registration_id).first()


async def move_to_past(event_id: int, hours_ago: int = 3) -> datetime:
    start = datetime.now(TZ).replace(microsecond=0) - timedelta(hours=hours_ago)
    await Event.update({Event.starts_at: start, Event.ends_at: start + timedelta(hours=2)}).where(
        Event.id == event_id
    )
    return start


# ---- 代报名 ---------------------------------------------------------------------------------


async def test_walk_in_registers_checks_in_and_shows_the_manual_code(client, db):
    event = await make_event(capacity=5, max_party_size=3)
    await move_to_past(event["id"], hours_ago=0)  # walk-ins are taken on the event's day
    await login(client, "staff")
    form = await client.get(f"/checkin/{event['id']}/walk-in")
    assert form.status_code == 200
    assert 'name="_csrf_token"' in form.text and "代报名" in form.text
    assert "剩余名额" in form.text and 'name="party_size"' in form.text
    done = await post_form(
        client,
        f"/checkin/{event['id']}/walk-in",
        {"name": "王阿姨", "phone": "", "party_size": "2"},
    )
    # saved, then redirected to the result: reloading it registers nobody again
    assert done.status_code == 303, done.text
    row = await Registration.select().first()
    assert done.headers["location"] == f"/checkin/{event['id']}/walk-in?done={row['id']}"
    done = await client.get(done.headers["location"])
    assert (await client.get(done.url)).status_code == 200  # reloaded
    assert await Registration.count() == 1
    assert row["status"] == "confirmed" and row["source"] == "walk_in"
    assert row["phone"] is None and row["checked_in_at"] is not None
    page = done.text
    assert "已报名并签到" in page and "王阿姨" in page and "2 人" in page
    assert tickets.manual_code(row["id"]) in page
    assert "再登记一位" in page and f'href="/checkin/{event["id"]}"' in page
    assert "剩余名额：3" in page


async def test_walk_in_when_full_says_how_many_seats_are_left_and_keeps_the_form(client, db):
    event = await make_event(capacity=3, max_party_size=2)
    await person(event["id"], "甲", 1, party_size=2)
    await move_to_past(event["id"], hours_ago=0)
    await login(client, "staff")
    refused = await post_form(
        client,
        f"/checkin/{event['id']}/walk-in",
        {"name": "李伯伯", "phone": phone(9), "party_size": "2"},
    )
    assert refused.status_code == 409
    assert "名额不足" in refused.text and "剩余名额：1" in refused.text
    assert 'value="李伯伯"' in refused.text and f'value="{phone(9)}"' in refused.text
    assert await Registration.count() == 1


async def test_walk_in_after_the_event_ended_is_refused(client, db):
    event = await make_event()
    await move_to_past(event["id"])
    await login(client, "staff")
    form = await client.get(f"/checkin/{event['id']}/walk-in")
    assert form.status_code == 200 and "活动已结束" in form.text and "<form method" not in form.text
    refused = await post_form(client, f"/checkin/{event['id']}/walk-in", {"name": "迟到"})
    assert refused.status_code == 409 and "无法代报名" in refused.text
    assert await Registration.count() == 0


async def test_walk_in_bad_input_is_shown_next_to_the_field_with_values_kept(client, db):
    event = await make_event(max_party_size=2)
    await move_to_past(event["id"], hours_ago=0)
    await login(client, "staff")
    bad = await post_form(
        client,
        f"/checkin/{event['id']}/walk-in",
        {"name": "", "phone": "123", "party_size": "2"},
    )
    assert bad.status_code == 422
    assert 'id="f-name-error"' in bad.text and 'id="f-phone-error"' in bad.text
    assert 'value="123"' in bad.text
    assert '<option value="2" selected>' in bad.text
    assert await Registration.count() == 0


async def test_walk_in_family_event_and_html_in_the_name_is_escaped(client, db):
    event = await make_event(family=True, max_party_size=3)
    await move_to_past(event["id"], hours_ago=0)
    await login(client, "staff")
    form = await client.get(f"/checkin/{event['id']}/walk-in")
    assert 'name="adults"' in form.text and 'name="children"' in form.text
    name = "<script>x</script>王"
    done = await post_form(
        client,
        f"/checkin/{event['id']}/walk-in",
        {"name": name, "phone": phone(3), "adults": "1", "children": "2"},
    )
    assert done.status_code == 303
    done = await client.get(done.headers["location"])
    assert name not in done.text and str(escape(name)) in done.text
    sheet = await client.get(f"/checkin/{event['id']}/sheet")
    assert name not in sheet.text and str(escape(name)) in sheet.text


async def test_walk_in_before_the_event_day_is_refused(client, db):
    event = await make_event()  # in five days
    await login(client, "staff")
    refused = await post_form(client, f"/checkin/{event['id']}/walk-in", {"name": "提前"})
    assert refused.status_code == 409 and "代报名在活动当天开放" in refused.text
    assert await Registration.count() == 0


async def test_walk_in_result_of_another_event_or_an_online_registration_is_not_shown(client, db):
    event = await make_event()
    online = await person(event["id"], "线上", 1)
    await login(client, "staff")
    page = await client.get(f"/checkin/{event['id']}/walk-in?done={online['id']}")
    assert page.status_code == 200 and "已报名并签到" not in page.text
    odd = await client.get(f"/checkin/{event['id']}/walk-in?done=²")
    assert odd.status_code == 200 and "已报名并签到" not in odd.text


# ---- 签到表 ---------------------------------------------------------------------------------


async def test_sheet_lists_only_confirmed_people_with_masked_phones(client, db):
    event = await make_event(capacity=2, waitlist=True)
    first = await person(event["id"], "赵一", 1)
    second = await person(event["id"], "钱二", 2)
    await person(event["id"], "孙三候补", 3)
    gone = await person(event["id"], "李四取消", 4)
    assert gone["status"] == "waitlisted"
    await reg.cancel(gone["ticket_token"], by="self")
    await Registration.update({Registration.checked_in_at: now()}).where(
        Registration.id == first["id"]
    )
    await login(client, "staff")
    sheet = await client.get(f"/checkin/{event['id']}/sheet")
    assert sheet.status_code == 200
    page = sheet.text
    assert "赵一" in page and "钱二" in page
    assert "孙三候补" not in page and "李四取消" not in page
    assert "139****0001" in page and phone(1) not in page
    assert tickets.manual_code(first["id"]) in page and tickets.manual_code(second["id"]) in page
    assert page.count('class="is-in"') == 1
    for heading in ("序号", "姓名", "手机", "人数", "签到码", "已签到", "签名"):
        assert f">{heading}</th>" in page
    assert "data-print" in page and "js/desk.js" in page and "onclick" not in page
    assert event["title"] in page and event["venue"] in page


# ---- 补录 -----------------------------------------------------------------------------------


async def test_paper_records_at_the_start_and_is_idempotent(client, db):
    event = await make_event(capacity=5)
    a = await person(event["id"], "赵一", 1)
    b = await person(event["id"], "钱二", 2)
    c = await person(event["id"], "孙三", 3)
    start = await move_to_past(event["id"])
    await login(client, "staff")
    form = await client.get(f"/checkin/{event['id']}/paper")
    assert form.status_code == 200 and 'type="datetime-local"' in form.text
    assert start.strftime("%Y-%m-%dT%H:%M") in form.text
    data = {"registration": [str(a["id"]), str(b["id"])]}
    first = await post_form(client, f"/checkin/{event['id']}/paper", data)
    assert first.status_code == 200 and "已补录 2 人；0 人此前已签到" in first.text
    assert (await row_of(a["id"]))["checked_in_at"] == start
    assert (await row_of(c["id"]))["checked_in_at"] is None
    again = await post_form(client, f"/checkin/{event['id']}/paper", data)
    assert "已补录 0 人；2 人此前已签到" in again.text
    assert f'id="p-{a["id"]}" name="registration" value="{a["id"]}" checked disabled' in again.text
    scans = await CheckinScan.select().where(CheckinScan.method == "paper")
    assert sorted(s["result"] for s in scans) == ["duplicate", "duplicate", "ok", "ok"]
    nothing = await post_form(client, f"/checkin/{event['id']}/paper", {})
    assert nothing.status_code == 422 and "请至少勾选" in nothing.text
    # 只看未签到: only 孙三 is left to tick
    pending = await client.get(f"/checkin/{event['id']}/paper?pending=1")
    assert "孙三" in pending.text and "赵一" not in pending.text and "显示全部" in pending.text
    await post_form(client, f"/checkin/{event['id']}/paper", {"registration": str(c["id"])})
    done = await client.get(f"/checkin/{event['id']}/paper?pending=1")
    assert "所有已确认的人都已签到" in done.text


async def test_paper_with_a_bad_time_keeps_it_and_says_so(client, db):
    event = await make_event()
    a = await person(event["id"], "赵一", 1)
    await login(client, "organizer")
    bad = await post_form(
        client, f"/checkin/{event['id']}/paper", {"at": "昨天下午", "registration": str(a["id"])}
    )
    assert bad.status_code == 422 and 'id="f-at-error"' in bad.text and "昨天下午" in bad.text
    assert (await row_of(a["id"]))["checked_in_at"] is None


# ---- the 签到 button of /c/ -----------------------------------------------------------------


async def test_ticket_url_shows_the_button_only_to_staff_and_get_checks_nothing_in(client, db):
    event = await make_event()
    someone = await person(event["id"], "张三丰", 1)
    path = await ticket_path(event["id"], someone["id"])
    public = await client.get(path)
    assert public.status_code == 200
    assert "张*" in public.text and "张三丰" not in public.text
    assert "/checkin" not in public.text and "工作人员签到" not in public.text
    await login(client, "staff")
    staff = await client.get(path)
    assert staff.status_code == 200
    assert "张三丰" in staff.text and f'action="{path}/checkin"' in staff.text
    assert 'name="_csrf_token"' in staff.text and ">签到</button>" in staff.text
    assert (await row_of(someone["id"]))["checked_in_at"] is None
    assert await CheckinScan.count() == 0


async def test_ticket_url_post_checks_in_once_then_says_duplicate(client, db):
    event = await make_event()
    someone = await person(event["id"], "张三丰", 1, party_size=1)
    path = await ticket_path(event["id"], someone["id"])
    user = await login(client, "staff")
    ok = await post_form(client, f"{path}/checkin")
    assert ok.status_code == 200 and "签到成功" in ok.text and "result-ok" in ok.text
    first = (await row_of(someone["id"]))["checked_in_at"]
    assert first is not None
    again = await post_form(client, f"{path}/checkin")
    assert again.status_code == 200 and "result-warn" in again.text
    assert "已签到" in again.text and "首次签到时间" in again.text and "签到成功" not in again.text
    assert (await row_of(someone["id"]))["checked_in_at"] == first
    scans = await CheckinScan.select().order_by(CheckinScan.id)
    assert [(s["method"], s["result"]) for s in scans] == [
        ("button", "ok"),
        ("button", "duplicate"),
    ]
    assert scans[0]["staff"] == user["id"]
    # opened again later: no button, the first time instead
    later = await client.get(path)
    assert ">签到</button>" not in later.text and "首次签到时间" in later.text


async def test_ticket_url_post_for_a_cancelled_ticket_is_red(client, db):
    event = await make_event()
    someone = await person(event["id"], "张三丰", 1)
    await reg.cancel(someone["ticket_token"], by="self")
    path = await ticket_path(event["id"], someone["id"])
    await login(client, "staff")
    page = await client.get(path)
    assert ">签到</button>" not in page.text and "报名已取消" in page.text
    refused = await post_form(client, f"{path}/checkin")
    assert refused.status_code == 200 and "result-bad" in refused.text
    assert "报名已取消，不能入场" in refused.text
    assert (await row_of(someone["id"]))["checked_in_at"] is None


async def test_ticket_url_post_with_a_forged_payload_checks_nothing_in(client, db):
    event = await make_event()
    someone = await person(event["id"], "张三丰", 1)
    path = await ticket_path(event["id"], someone["id"])
    forged = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    await login(client, "staff")
    response = await post_form(client, f"{forged}/checkin")
    assert response.status_code == 404 and "无效票" in response.text
    assert (await row_of(someone["id"]))["checked_in_at"] is None


# ---- who may ----------------------------------------------------------------------------------


async def test_judge_is_refused_and_anonymous_is_sent_to_login(client, db):
    event = await make_event()
    someone = await person(event["id"], "张三丰", 1)
    path = await ticket_path(event["id"], someone["id"])
    pages = [f"/checkin/{event['id']}/{name}" for name in ("walk-in", "sheet", "paper")]
    for url in pages:
        response = await client.get(url, follow_redirects=False)
        assert response.status_code in (302, 303), url
        assert response.headers["location"].startswith("/login?next=/checkin/")
    await client.get(path)  # the CSRF cookie
    anonymous = await post_form(client, f"{path}/checkin")
    assert anonymous.status_code in (302, 303, 401)
    await login(client, "judge")
    for url in pages:
        assert (await client.get(url)).status_code == 403, url
    assert (
        await post_form(client, f"/checkin/{event['id']}/walk-in", {"name": "甲"})
    ).status_code == 403
    assert (await post_form(client, f"{path}/checkin")).status_code == 403
    judge_view = await client.get(path)
    assert ">签到</button>" not in judge_view.text
    assert (await row_of(someone["id"]))["checked_in_at"] is None
    assert await Registration.count() == 1


async def test_posts_without_csrf_are_refused(client, db):
    event = await make_event()
    someone = await person(event["id"], "张三丰", 1)
    path = await ticket_path(event["id"], someone["id"])
    await login(client, "staff")
    walk = await client.post(f"/checkin/{event['id']}/walk-in", data={"name": "甲"})
    paper = await client.post(
        f"/checkin/{event['id']}/paper", data={"registration": str(someone["id"])}
    )
    button = await client.post(f"{path}/checkin")
    assert (walk.status_code, paper.status_code, button.status_code) == (403, 403, 403)
    assert await Registration.count() == 1
    assert (await row_of(someone["id"]))["checked_in_at"] is None


async def test_draft_event_has_no_door_pages(client, db):
    event = await make_event(status="draft")
    await login(client, "admin")
    assert (await client.get(f"/checkin/{event['id']}/sheet")).status_code == 404
    assert (await client.get(f"/checkin/{event['id']}/walk-in")).status_code == 404


# ---- the organizer's event page ------------------------------------------------------------


async def test_event_page_shows_no_shows_and_recent_scans_once_ended(client, db):
    event = await make_event(capacity=6, max_party_size=2)
    came = await person(event["id"], "到场人", 1, party_size=2)
    await person(event["id"], "<b>缺席</b>人", 2, party_size=2)
    path = await ticket_path(event["id"], came["id"])
    await login(client, "staff")
    await post_form(client, f"{path}/checkin")
    await client.post("/logout", data={"_csrf_token": client.cookies["csrftoken"]})
    await login(client, "organizer")
    before = await client.get(f"/manage/events/{event['id']}")
    assert before.status_code == 200
    assert "2 / 4 人" in before.text and "未到场" not in before.text
    for link in ("", "/sheet", "/paper", "/walk-in"):
        assert f'href="/checkin/{event["id"]}{link}"' in before.text
    assert "票面按钮" in before.text and "ticket-url" in before.text
    await move_to_past(event["id"])
    after = await client.get(f"/manage/events/{event['id']}")
    page = after.text
    assert "未到场" in page and "1 条报名，共 2 人" in page
    assert "&lt;b&gt;缺席&lt;/b&gt;人" in page and "<b>缺席" not in page
    assert "139****0002" in page and phone(2) not in page
    assert f'href="/checkin/{event["id"]}/walk-in"' not in page


# ---- demo data ---------------------------------------------------------------------------------


async def test_demo_check_ins_have_their_scans(db):
    from events.demo import demo
    from tests.test_demo import AT

    await demo.load(at=AT, contest=False)  # the door needs no contest entries
    checked = await Registration.select(Registration.id, Registration.checked_in_at).where(
        Registration.checked_in_at.is_not_null()
    )
    ok = await CheckinScan.select().where(CheckinScan.result == "ok")
    assert len(checked) > 1000 and len(ok) == len(checked)
    times = {row["id"]: row["checked_in_at"] for row in checked}
    assert all(scan["scanned_at"] == times[scan["registration"]] for scan in ok)
    methods = {scan["method"] for scan in ok}
    assert {"scan", "code", "paper", "walk_in"} <= methods
    others = await CheckinScan.select(CheckinScan.result).where(CheckinScan.result != "ok")
    assert {row["result"] for row in others} == {"duplicate", "invalid"}
    staff = await StaffUser.select(StaffUser.id).where(StaffUser.username == "staff").first()
    assert {scan["staff"] for scan in ok} == {staff["id"]}


async def test_staff_can_take_back_a_check_in_from_the_ticket_page(client, db):
    event = await make_event(capacity=5)
    someone = await person(event["id"], "张三丰", 1)
    path = await ticket_path(event["id"], someone["id"])
    await login(client, "staff")
    checked = await post_form(client, f"{path}/checkin")
    assert "签到成功" in checked.text and f'action="{path}/undo"' in checked.text
    undone = await post_form(client, f"{path}/undo")
    assert undone.status_code == 200 and "已撤销签到" in undone.text
    assert (await row_of(someone["id"]))["checked_in_at"] is None
    assert ">签到</button>" in undone.text  # can be checked in again
    twice = await post_form(client, f"{path}/undo")  # nothing left to undo: no error
    assert twice.status_code == 200


async def test_organizer_undoes_a_check_in_from_the_list(client, db):
    from events.door import checkin

    event = await make_event(capacity=5)
    someone = await person(event["id"], "李四", 2)
    await checkin.check_in(event["id"], registration_id=someone["id"])
    await login(client, "organizer")
    base = f"/manage/events/{event['id']}/registrations"
    page = await client.get(base)
    assert f'action="{base}/{someone["id"]}/undo-checkin"' in page.text
    done = await post_form(client, f"{base}/{someone['id']}/undo-checkin", {"reason": "测试"})
    assert done.status_code == 303 and "done=checkin_undone" in done.headers["location"]
    assert (await row_of(someone["id"]))["checked_in_at"] is None
    again = await post_form(client, f"{base}/{someone['id']}/undo-checkin")
    assert again.status_code == 409 and "无需撤销" in again.text
    await login(client, "judge")
    refused = await post_form(client, f"{base}/{someone['id']}/undo-checkin")
    assert refused.status_code == 403
