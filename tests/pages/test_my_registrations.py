"""我的报名: the texted code, its limits, the resident session and the list it shows."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from events.core.timeutil import now
from events.registration import self_service as my_registrations
from events.tables import OutboxMessage, PhoneCode, ResidentSession
from tests.api.test_registrations import person

PHONE = "13900000001"


async def post(client, url, **data):
    if "csrftoken" not in client.cookies:
        await client.get("/me")
    data["_csrf_token"] = client.cookies["csrftoken"]
    return await client.post(url, data=data, follow_redirects=False)


async def texted_codes(phone=PHONE) -> list[str]:
    rows = (
        await OutboxMessage.select(OutboxMessage.payload)
        .where((OutboxMessage.kind == "code") & (OutboxMessage.recipient == phone))
        .order_by(OutboxMessage.id)
    )
    return [json.loads(row["payload"])["code"] for row in rows]


async def registered(client, make_event, n=1, phone=PHONE, **event):
    made = await make_event(**event)
    body = {**person(n), "phone": phone}
    response = await client.post(f"/api/v1/events/{made['id']}/registrations", json=body)
    assert response.status_code == 201, response.text
    return made, response.json()


async def ask_code(client, phone=PHONE) -> str:
    response = await post(client, "/me/code", phone=phone)
    assert response.status_code == 200, response.text
    assert 'name="code"' in response.text and 'autocomplete="one-time-code"' in response.text
    return (await texted_codes(phone.replace(" ", "")))[-1]


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


async def test_the_code_flow_lists_my_registrations_newest_first(client, make_event):
    await registered(client, make_event, title="第一场讲座")
    second = await make_event(title="第二场讲座", capacity=1)
    url = f"/api/v1/events/{second['id']}/registrations"
    assert (await client.post(url, json=person(2))).status_code == 201
    ticket = (await client.post(url, json={**person(1), "phone": PHONE})).json()
    page = await client.get("/me")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert 'name="phone"' in page.text and "第一场讲座" not in page.text
    code = await ask_code(client, "139 0000 0001")  # typed with spaces: normalised
    assert re.fullmatch(r"\d{6}", code)
    verified = await post(client, "/me/verify", phone=PHONE, code=code)
    assert verified.status_code == 303 and verified.headers["location"] == "/me"
    cookie = verified.headers["set-cookie"]
    assert "ce_resident=" in cookie and "HttpOnly" in cookie and "Path=/me" in cookie
    mine = (await client.get("/me")).text
    assert PHONE in mine  # its verified owner sees the number
    assert mine.index("第二场讲座") < mine.index("第一场讲座")
    assert "候补第 1 位" in mine and f'href="/t/{ticket["ticket_token"]}"' in mine
    # The code is single use.
    again = await post(client, "/me/verify", phone=PHONE, code=code)
    assert again.status_code == 422
    out = await post(client, "/me/logout")
    assert out.status_code == 303
    client.cookies.delete("ce_resident", path="/me")
    assert "第一场讲座" not in (await client.get("/me")).text
    assert await ResidentSession.count() == 0


async def test_codes_are_stored_hashed(client, make_event):
    await registered(client, make_event)
    code = await ask_code(client)
    row = await PhoneCode.select().first()
    assert row["code_hash"] != code and code not in row["code_hash"] and len(row["code_hash"]) == 64
    assert row["expires_at"] - row["created_at"] == timedelta(minutes=5)


async def test_a_wrong_code_is_refused_with_tries_left(client, make_event):
    await registered(client, make_event)
    code = await ask_code(client)
    response = await post(client, "/me/verify", phone=PHONE, code=wrong(code))
    assert response.status_code == 422 and "验证码不正确，还可以再试 4 次" in response.text
    assert 'aria-invalid="true"' in response.text and "ce_resident" not in response.headers.get(
        "set-cookie", ""
    )
    for bad in ("12345", "abcdef", "１２３４５６", ""):
        response = await post(client, "/me/verify", phone=PHONE, code=bad)
        assert response.status_code == 422 and "6 位数字验证码" in response.text
    assert (await post(client, "/me/verify", phone=PHONE, code=code)).status_code == 303


async def test_an_expired_code_is_refused(client, make_event):
    await registered(client, make_event)
    code = await ask_code(client)
    await PhoneCode.update({PhoneCode.expires_at: now() - timedelta(seconds=1)}).where(
        PhoneCode.phone == PHONE
    )
    response = await post(client, "/me/verify", phone=PHONE, code=code)
    assert response.status_code == 422 and "验证码已过期" in response.text


async def test_five_wrong_tries_burn_the_code(client, make_event):
    await registered(client, make_event)
    code = await ask_code(client)
    for left in (4, 3, 2, 1):
        response = await post(client, "/me/verify", phone=PHONE, code=wrong(code))
        assert f"还可以再试 {left} 次" in response.text
    last = await post(client, "/me/verify", phone=PHONE, code=wrong(code))
    assert "错误次数过多" in last.text
    right = await post(client, "/me/verify", phone=PHONE, code=code)
    assert right.status_code == 422 and "错误次数过多" in right.text


async def test_a_new_code_replaces_the_old_one(client, make_event):
    await registered(client, make_event)
    old = await ask_code(client)
    await PhoneCode.update({PhoneCode.created_at: now() - timedelta(minutes=2)}).where(
        PhoneCode.phone == PHONE
    )
    new = await ask_code(client)
    if old != new:
        assert (await post(client, "/me/verify", phone=PHONE, code=old)).status_code == 422
    assert (await post(client, "/me/verify", phone=PHONE, code=new)).status_code == 303


async def test_codes_are_rate_limited_per_phone(client, make_event):
    await registered(client, make_event)
    await ask_code(client)
    soon = await post(client, "/me/code", phone=PHONE)
    assert soon.status_code == 429 and "秒后再重新获取" in soon.text
    assert len(await texted_codes()) == 1
    # Five in the last hour, the latest over a minute ago: still refused.
    await PhoneCode.delete(force=True)
    for minutes in (50, 40, 30, 20, 10):
        await PhoneCode.insert(
            PhoneCode(
                phone=PHONE,
                code_hash="0" * 64,
                created_at=now() - timedelta(minutes=minutes),
                expires_at=now() - timedelta(minutes=minutes - 5),
            )
        )
    hourly = await post(client, "/me/code", phone=PHONE)
    assert hourly.status_code == 429 and "1 小时后再试" in hourly.text
    await PhoneCode.update({PhoneCode.created_at: now() - timedelta(minutes=61)}).where(
        PhoneCode.phone == PHONE
    )
    assert (await post(client, "/me/code", phone=PHONE)).status_code == 200


async def test_codes_are_rate_limited_per_address(client, db, monkeypatch):
    from limits import parse

    from web.pages import register

    monkeypatch.setattr(register, "CODE_PER_IP", parse("3/hour"))
    codes = [(await post(client, "/me/code", phone=f"1390000010{n}")).status_code for n in range(4)]
    assert codes == [200, 200, 200, 429]


async def test_unknown_phones_get_the_same_answer_but_no_text(client, db):
    response = await post(client, "/me/code", phone="13700000000")
    assert response.status_code == 200 and 'name="code"' in response.text
    assert await texted_codes("13700000000") == []
    assert await PhoneCode.count() == 1


@pytest.mark.parametrize("phone", ["", "12345", "0571-88001234", "1390000000a", "x" * 500])
async def test_a_bad_phone_is_422(client, db, phone):
    response = await post(client, "/me/code", phone=phone)
    assert response.status_code == 422 and "请填写 11 位手机号" in response.text
    assert await PhoneCode.count() == 0


async def test_forms_need_csrf(client, db):
    response = await client.post("/me/code", data={"phone": PHONE})
    assert response.status_code == 403 and await PhoneCode.count() == 0


async def test_expired_or_forged_sessions_show_nothing(client, make_event):
    await registered(client, make_event, title="我的讲座")
    raw = await my_registrations.start_session(PHONE)
    client.cookies.set("ce_resident", raw, path="/me")
    assert "我的讲座" in (await client.get("/me")).text
    await ResidentSession.update(
        {ResidentSession.expires_at: now() - timedelta(seconds=1)}, force=True
    )
    assert "我的讲座" not in (await client.get("/me")).text
    client.cookies.set("ce_resident", "forged" * 50, path="/me")
    assert (await client.get("/me")).status_code == 200


async def test_a_delivered_code_is_not_kept_in_the_outbox(client, make_event):
    from events.notify.backends import Backends
    from events.notify.outbox import deliver_due
    from tests.notify.test_outbox import RecordingSms

    await registered(client, make_event)
    code = await ask_code(client)
    sms = RecordingSms()
    assert await deliver_due(backends=Backends(None, sms)) >= 1
    assert any(params.get("code") == code for _phone, _template, params in sms.sent)
    rows = await OutboxMessage.select().where(OutboxMessage.kind == "code")
    assert rows and all(row["status"] == "sent" for row in rows)
    assert all(code not in json.dumps(row["payload"]) for row in rows)
