"""The residents' registration form, ticket page, cancel step and scan page (/c/)."""

from __future__ import annotations

import re
import struct
from datetime import datetime, timedelta

import pytest
from markupsafe import escape

from events.door import tickets
from events.tables import Event, Question, Registration, Setting
from tests.settings_env import set_environment


async def form_page(client, event_id):
    response = await client.get(f"/events/{event_id}/register")
    assert response.status_code == 200, response.text
    return response


async def submit(client, event_id, fields=None, consent=True, **change):
    """Fill the form as a browser would (CSRF cookie from the form page first)."""
    if "csrftoken" not in client.cookies:
        await form_page(client, event_id)
    data = {"name": "王小明", "phone": "13900000001", **(fields or {}), **change}
    if consent:
        data["consent"] = "true"
    data["_csrf_token"] = client.cookies["csrftoken"]
    data = {key: value for key, value in data.items() if value is not None}
    return await client.post(f"/events/{event_id}/register", data=data, follow_redirects=False)


async def register_through_form(client, event_id, **change) -> str:
    response = await submit(client, event_id, **change)
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith("/t/")
    return location.removeprefix("/t/")


async def add_question(event_id, label, kind, options, required=False) -> int:
    row = Question(event=event_id, label=label, kind=kind, options=options, required=required)
    return (await Question.insert(row).returning(Question.id))[0]["id"]


def error_of(page: str, field: str) -> str:
    found = re.search(rf'<p class="field-error" id="f-{field}-error">(.*?)</p>', page, re.S)
    assert found, f"no error shown for {field}"
    return re.sub(r"<[^>]+>", "", found.group(1)).replace("⚠", "").strip()


def control(page: str, field: str) -> str:
    found = re.search(rf'<(?:input|select)[^>]*id="f-{field}"[^>]*>', page)
    assert found, f"no control for {field}"
    return found.group(0)


async def test_form_page_has_labelled_fields_consent_and_csrf(client, make_event):
    event = await make_event(max_party_size=3)
    await Setting.insert(Setting(key="retention_days", value=90))
    page = (await form_page(client, event["id"])).text
    for field, label in (("name", "姓名"), ("phone", "手机号"), ("party_size", "参加人数")):
        assert f'<label for="f-{field}">{label}' in page
    assert 'type="tel"' in page and 'inputmode="numeric"' in page
    assert 'name="_csrf_token"' in page and 'name="consent"' in page
    assert "活动结束 90 天后匿名化处理" in page and 'href="/privacy"' in page
    assert 'name="company"' not in page and 'name="adults"' not in page
    assert "提交报名" in page and "验证码" not in page  # no CAPTCHA
    response = await form_page(client, event["id"])  # not cached: it holds a CSRF token
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "etag" not in response.headers


async def test_family_and_company_events_ask_for_them(client, make_event):
    event = await make_event(family=True, ask_company=True, max_party_size=4)
    page = (await form_page(client, event["id"])).text
    assert 'name="adults"' in page and 'name="children"' in page and 'name="party_size"' not in page
    assert 'name="company"' in page
    missing = await submit(client, event["id"], adults="2", children="1")
    assert missing.status_code == 422 and error_of(missing.text, "company") == "此项必填"
    token = await register_through_form(
        client, event["id"], adults="2", children="1", company="运河科技"
    )
    row = await Registration.select().where(Registration.ticket_token == token).first()
    got = [row[k] for k in ("adults", "children", "party_size", "company", "source")]
    assert got == [2, 1, 3, "运河科技", "web"]
    ticket = (await client.get(f"/t/{token}")).text
    assert "成人 2 位，儿童 1 位" in ticket


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"phone": "1390000000"}, "phone", "请填写 11 位手机号（1 开头）"),
        ({"phone": "139000000012"}, "phone", "请填写 11 位手机号（1 开头）"),
        ({"phone": "1390000000a"}, "phone", "请填写 11 位手机号（1 开头）"),
        ({"phone": "0571-88001234"}, "phone", "请填写 11 位手机号（1 开头）"),
        ({"phone": ""}, "phone", "请填写 11 位手机号（1 开头）"),
        ({"name": ""}, "name", "此项必填"),
        ({"name": "   "}, "name", "此项必填"),
        ({"name": "长" * 500}, "name", "不能超过 50 个字"),
        ({"party_size": "0"}, "party_size", "人数至少为 1"),
        ({"party_size": "3"}, "party_size", "每单最多 2 人"),
        ({"party_size": "两"}, "party_size", "请填写整数"),
        ({"email": "not-an-email"}, "email", "邮箱格式不正确"),
    ],
)
async def test_form_errors_are_shown_next_to_their_field(
    client, make_event, change, field, message
):
    event = await make_event(max_party_size=2)
    response = await submit(client, event["id"], **change)
    assert response.status_code == 422, response.text
    page = response.text
    assert error_of(page, field) == message
    tag = control(page, field)
    assert 'aria-invalid="true"' in tag and f"f-{field}-error" in tag
    assert f'href="#f-{field}"' in page  # the summary at the top links to the field
    assert await Registration.count() == 0
    typed = change.get(field, "")
    if field not in ("party_size",) and typed.strip():
        assert f'value="{escape(typed)}"' in tag  # typed values kept
    if field != "name":
        assert 'value="王小明"' in control(page, "name")


async def test_consent_must_be_ticked(client, make_event):
    event = await make_event()
    response = await submit(client, event["id"], consent=False)
    assert response.status_code == 422
    assert error_of(response.text, "consent") == "请阅读并同意个人信息说明"
    assert 'value="13900000001"' in control(response.text, "phone")


async def test_html_in_a_name_is_escaped_on_every_page(client, make_event):
    event = await make_event()
    name = '<b onmouseover="x()">李</b>'
    bad = await submit(client, event["id"], name=name, phone="12")  # re-rendered with the value
    assert bad.status_code == 422 and "<b onmouseover" not in bad.text
    assert escape(name) in bad.text
    token = await register_through_form(client, event["id"], name=name)
    ticket = await client.get(f"/t/{token}")
    assert "<b onmouseover" not in ticket.text and escape(name) in ticket.text
    qr = (await client.get(f"/api/v1/tickets/{token}")).json()["qr"]
    scan = await client.get(qr.removeprefix("http://testserver.local"))
    assert scan.status_code == 200
    assert "<b onmouseover" not in scan.text and "&lt;*" in scan.text  # first character + *


async def test_already_registered_links_to_my_registrations(client, make_event):
    event = await make_event()
    await register_through_form(client, event["id"])
    again = await submit(client, event["id"], name="又一次")
    assert again.status_code == 409
    assert "这个手机号已报名本活动" in again.text and 'href="/me"' in again.text
    assert 'value="又一次"' in control(again.text, "name")


async def test_full_event_without_waitlist_refuses_clearly(client, make_event):
    event = await make_event(capacity=1, waitlist=False)
    await register_through_form(client, event["id"])
    page = (await form_page(client, event["id"])).text
    assert "名额已满，本活动不设候补。" in page and 'action="/events/' not in page
    refused = await submit(client, event["id"], phone="13900000002")
    assert refused.status_code == 409 and "名额已满，且此活动不设候补" in refused.text


async def test_full_event_with_waitlist_offers_the_waitlist(client, make_event):
    event = await make_event(capacity=1)
    await register_through_form(client, event["id"])
    page = (await form_page(client, event["id"])).text
    assert "现在提交将登记候补" in page and "提交，登记候补" in page
    token = await register_through_form(client, event["id"], phone="13900000002")
    ticket = (await client.get(f"/t/{token}")).text
    assert "候补第 1 位" in ticket and '<svg role="img"' not in ticket


async def test_registration_not_yet_open_or_closed(client, make_event):
    opens = datetime.now().astimezone() + timedelta(days=5)  # the event is in 10 days
    later = await make_event(registration_opens_at=opens.isoformat())
    page = (await form_page(client, later["id"])).text
    assert "报名尚未开始" in page and 'name="phone"' not in page
    refused = await submit(client, later["id"])
    assert refused.status_code == 409 and "此活动当前不接受报名" in refused.text
    closed = await make_event()
    past = datetime.now().astimezone() - timedelta(minutes=1)
    await Event.update({Event.registration_closes_at: past}).where(Event.id == closed["id"])
    assert "报名已截止。" in (await form_page(client, closed["id"])).text
    assert (await submit(client, closed["id"])).status_code == 409


async def test_draft_and_cancelled_events(client, make_event):
    draft = await make_event(status="draft")
    assert (await client.get(f"/events/{draft['id']}/register")).status_code == 404
    cancelled = await make_event()
    await form_page(client, cancelled["id"])  # CSRF cookie
    patch = {"json": {"status": "cancelled"}, "headers": make_event.headers}
    await client.patch(f"/api/v1/events/{cancelled['id']}", **patch)
    assert "本活动已取消，不再接受报名。" in (await form_page(client, cancelled["id"])).text
    assert (await submit(client, cancelled["id"])).status_code == 409
    missing = await client.post(
        f"/events/{draft['id']}/register",
        data={"name": "甲", "phone": "13900000001", "_csrf_token": client.cookies["csrftoken"]},
    )
    assert missing.status_code == 404
    assert (await client.get("/events/99999999999/register")).status_code == 404


async def test_posting_without_csrf_is_refused(client, make_event):
    event = await make_event()
    response = await client.post(
        f"/events/{event['id']}/register", data={"name": "甲", "phone": "13900000001"}
    )
    assert response.status_code == 403 and await Registration.count() == 0


async def test_choice_questions(client, make_event):
    event = await make_event()
    single = await add_question(event["id"], "年级", "single", ["三年级", "四年级"], True)
    multiple = await add_question(event["id"], "方向", "multiple", ["人工智能", "生物", "新材料"])
    page = (await form_page(client, event["id"])).text
    assert 'type="radio"' in page and 'type="checkbox" id="q' in page and "（可多选）" in page
    missing = await submit(client, event["id"])
    assert missing.status_code == 422 and error_of(missing.text, f"q{single}") == "此项必填"
    fields = {f"q{single}": "四年级"}
    response = await submit(client, event["id"], fields=fields)
    assert response.status_code == 303, response.text
    row = await Registration.select(Registration.answers).output(load_json=True).first()
    assert row["answers"] == {str(single): "四年级", str(multiple): []}
    # Several boxes ticked arrive as a repeated field.
    ticked = {f"q{single}": "三年级", f"q{multiple}": ["人工智能", "新材料"]}
    many = await submit(client, event["id"], fields=ticked, phone="13900000009")
    assert many.status_code == 303, many.text
    rows = await Registration.select(Registration.answers).output(load_json=True)
    assert rows[1]["answers"][str(multiple)] == ["人工智能", "新材料"]


async def test_ticket_page_for_each_status(client, make_event):
    event = await make_event(capacity=1)
    holder = await register_through_form(client, event["id"])
    waiting = await register_through_form(client, event["id"], phone="13900000002")
    page = await client.get(f"/t/{holder}")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert '<meta name="robots" content="noindex' in page.text
    text = page.text
    assert "报名成功" in text and event["title"] in text and "王小明" in text
    assert "139****0001" in text and "13900000001" not in text
    assert '<svg role="img"' in text and "加入日历" in text and f'href="/t/{holder}/cancel"' in text
    ticket = (await client.get(f"/api/v1/tickets/{holder}")).json()
    code = tickets.manual_code(ticket["id"])
    assert f'id="manual-code">{code}</strong>' in text  # what staff type when a scan fails
    queued = (await client.get(f"/t/{waiting}")).text
    assert "候补第 1 位" in queued and '<svg role="img"' not in queued and "递补成功后" in queued
    assert (await client.get("/t/not-a-real-token-at-all")).status_code == 404


async def test_cancel_via_the_page_asks_first_then_promotes_the_next(client, make_event):
    event = await make_event(capacity=1)
    holder = await register_through_form(client, event["id"])
    waiting = await register_through_form(client, event["id"], phone="13900000002")
    confirm = await client.get(f"/t/{holder}/cancel")
    assert confirm.status_code == 200 and "确定要取消报名吗？" in confirm.text
    assert 'name="_csrf_token"' in confirm.text
    no_csrf = await client.post(f"/t/{holder}/cancel")
    assert no_csrf.status_code == 403
    done = await client.post(
        f"/t/{holder}/cancel",
        data={"_csrf_token": client.cookies["csrftoken"]},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == f"/t/{holder}"
    cancelled = (await client.get(f"/t/{holder}")).text
    assert (
        "已取消" in cancelled and '<svg role="img"' not in cancelled and "/cancel" not in cancelled
    )
    promoted = (await client.get(f"/t/{waiting}")).text
    assert "报名成功" in promoted and '<svg role="img"' in promoted
    assert (await client.get(f"/t/{holder}/cancel", follow_redirects=False)).status_code == 303


async def test_scan_page_genuine_ticket(client, make_event):
    event = await make_event()
    token = await register_through_form(client, event["id"], name="张三丰")
    qr = (await client.get(f"/api/v1/tickets/{token}")).json()["qr"]
    response = await client.get(qr.removeprefix("http://testserver.local"))
    assert response.status_code == 200
    page = response.text
    assert event["title"] in page and "有效门票" in page
    assert "张*" in page and "张三丰" not in page
    assert "139****0001" in page and "13900000001" not in page
    assert token not in page
    assert response.headers["cache-control"] == "no-store"
    row = await Registration.select(Registration.id).first()
    assert f'data-ticket-id="{row["id"]}"' in page


def _flip(text: str, index: int) -> str:
    char = text[index]
    return text[:index] + ("B" if char != "B" else "C") + text[index + 1 :]


async def test_scan_page_refuses_altered_and_garbage_payloads(client, make_event):
    event = await make_event()
    token = await register_through_form(client, event["id"])
    qr = (await client.get(f"/api/v1/tickets/{token}")).json()["qr"]
    payload = qr.rsplit("/c/", 1)[1]
    # Flipped in the event id, the registration id, the signature; cut; extended; garbage.
    altered = [_flip(payload, i) for i in (3, 10, len(payload) - 5)]
    cut = [payload[:-1], payload[:50], payload + "A", payload + "AAAA"]
    unsigned = [tickets._b64(struct.pack(">BII", 1, n, n) + b"\0" * 64) for n in (0, 2**32 - 1)]
    junk = ["x", "A" * 20_000, "票" * 300, "😀" * 98, "%00%ff%fe", "..%2F..%2Fetc", "a/b/c"]
    garbage = altered + cut + unsigned + junk
    for text in garbage:
        response = await client.get(f"/c/{text}")
        assert response.status_code == 404, (text[:40], response.status_code)
        assert "无效票" in response.text, text[:40]


async def test_scan_page_of_a_cancelled_ticket(client, make_event):
    event = await make_event()
    token = await register_through_form(client, event["id"])
    qr = (await client.get(f"/api/v1/tickets/{token}")).json()["qr"]
    await client.post(f"/api/v1/tickets/{token}/cancel")
    page = (await client.get(qr.removeprefix("http://testserver.local"))).text
    assert "已取消 · 不能入场" in page


@pytest.mark.parametrize(
    ("state", "button"),
    [
        ("open", "立即报名"),
        ("waitlist", "登记候补"),
        ("full", "名额已满"),
        ("not_yet", "报名未开始"),
        ("closed", "报名已截止"),
    ],
)
async def test_event_page_has_the_right_button(client, make_event, state, button):
    soon = (datetime.now().astimezone() + timedelta(days=5)).isoformat()  # event: in 10 days
    change = {
        "waitlist": {"capacity": 1},
        "full": {"capacity": 1, "waitlist": False},
        "not_yet": {"registration_opens_at": soon},
    }
    event = await make_event(**change.get(state, {}))
    if state in ("waitlist", "full"):
        await register_through_form(client, event["id"])
    if state == "closed":
        past = datetime.now().astimezone() - timedelta(minutes=1)
        await Event.update({Event.registration_closes_at: past}).where(Event.id == event["id"])
    page = (await client.get(f"/events/{event['id']}")).text
    assert f'aria-disabled="true">{button}<' in page or f'/register">{button}<' in page
    linked = f'href="/events/{event["id"]}/register"' in page
    assert linked == (state in ("open", "waitlist"))


async def test_privacy_page_reads_the_retention_setting(client, db):
    assert "活动结束 180 天后" in (await client.get("/privacy")).text
    await Setting.insert(Setting(key="retention_days", value=30))
    page = await client.get("/privacy")
    assert page.status_code == 200 and "活动结束 30 天后" in page.text


async def test_registrations_through_the_form_are_rate_limited(client, make_event, request):
    set_environment(request, EVENTS_REGISTRATION_LIMIT_PER_PHONE="1/hour")
    first = await make_event()
    second = await make_event()
    await register_through_form(client, first["id"])
    limited = await submit(client, second["id"])
    assert limited.status_code == 429 and "尝试次数过多" in limited.text


async def test_a_family_party_too_big_is_one_error_for_both_counts(client, make_event):
    event = await make_event(family=True, max_party_size=3)
    response = await submit(client, event["id"], adults="3", children="2")
    assert response.status_code == 422, response.text
    page = response.text
    assert page.count('class="field-error"') == 1  # once for the group, not over one column
    assert error_of(page, "children") == "成人+儿童共 5 人，每单最多 3 人"
    group = page[page.index('<fieldset class="field group party') : page.index("</fieldset>")]
    assert group.index('id="f-children-error"') < group.index('class="grid2"')
    for field in ("adults", "children"):
        tag = control(page, field)
        assert 'aria-invalid="true"' in tag, field
        assert 'aria-describedby="f-party-hint f-children-error"' in tag, field
    assert '<a href="#f-adults">参加人数：成人+儿童共 5 人，每单最多 3 人</a>' in page
    assert await Registration.count() == 0


async def test_a_family_count_error_names_its_select(client, make_event):
    event = await make_event(family=True, max_party_size=3)
    response = await submit(client, event["id"], adults="两", children="0")
    assert response.status_code == 422, response.text
    assert error_of(response.text, "adults") == "成人：请填写整数"
    assert 'aria-describedby="f-party-hint f-adults-error"' in control(response.text, "adults")
    assert "aria-invalid" not in control(response.text, "children")


async def test_the_waitlist_promise_says_how_it_moves(client, make_event):
    event = await make_event(capacity=1)
    await register_through_form(client, event["id"])
    rule = "空出的名额不够前一单的人数时，人数合适的后一单先递补"
    assert rule in (await form_page(client, event["id"])).text
    assert rule in (await client.get(f"/events/{event['id']}")).text
    waiting = await register_through_form(client, event["id"], phone="13900000002")
    assert rule in (await client.get(f"/t/{waiting}")).text


async def test_a_cancelled_ticket_no_longer_asks_to_keep_its_link(client, make_event):
    event = await make_event(organizer_unit="拱墅区科协")
    token = await register_through_form(client, event["id"])
    page = (await client.get(f"/t/{token}")).text
    assert "请保管好本页链接" in page and "拱墅区科协" in page  # who to contact
    assert '<span class="nowrap">' in page and "📅" not in page
    await client.post(f"/t/{token}/cancel", data={"_csrf_token": client.cookies["csrftoken"]})
    cancelled = (await client.get(f"/t/{token}")).text
    assert "这张报名已取消" in cancelled
    assert "请保管好本页链接" not in cancelled and "加入日历" not in cancelled


async def test_privacy_page_says_whom_to_ask_and_what_cancelling_keeps(client, db):
    page = (await client.get("/privacy")).text
    assert "“主办”一栏" in page and 'href="/me"' in page
    assert "已取消的报名记录会保留" in page and "活动结束 180 天后删除或匿名化" in page
