"""Odd input typed or sent to pages: a friendly Chinese answer, never a 500, nothing changed."""

import re

import pytest

from events.registration import registration as reg
from events.reporting import stats
from events.tables import Event, Registration, StaffUser
from tests.pages.test_manage import event_form, login, make_event, post_form
from tests.pages.test_register_pages import error_of, submit

ODD_NUMBERS = ["²", "５", "٣", "9" * 5000, "1_000", " 1 2 "]


@pytest.mark.parametrize("number", ODD_NUMBERS)
async def test_odd_numbers_in_the_event_form_are_field_errors(client, db, number):
    await login(client, "organizer")
    response = await post_form(client, "/manage/events/new", event_form(capacity=number))
    assert response.status_code == 422, response.text[:300]
    assert 'id="f-capacity-error">请填写整数<' in response.text
    assert await Event.count() == 0


@pytest.mark.parametrize("number", ["²", "9" * 5000])
async def test_odd_numbers_in_the_registration_form(client, db, number):
    event = await make_event(max_party_size=3)
    response = await submit(client, event["id"], party_size=number)
    assert response.status_code == 422, response.text[:300]
    assert error_of(response.text, "party_size") == "请填写整数"
    assert await Registration.count() == 0


async def test_an_odd_page_number_does_not_undo_a_cancel(client, db):
    """The list's page number comes back after the action; a bad one falls back to page 1."""
    event = await make_event()
    one = await reg.register(event["id"], {"name": "甲", "phone": "13900000001"})
    await login(client, "organizer")
    base = f"/manage/events/{event['id']}/registrations"
    response = await post_form(client, f"{base}/{one['id']}/cancel", {"confirm": "on", "page": "²"})
    assert response.status_code == 303, response.text[:300]
    row = await Registration.select().where(Registration.id == one["id"]).first()
    assert row["status"] == "cancelled"
    moved = await post_form(client, f"{base}/{one['id']}/move", {"to_event": "9" * 5000})
    assert moved.status_code in (404, 409, 422), moved.text[:300]
    questions = await post_form(client, f"{base.rsplit('/', 1)[0]}/questions", {"rows": "²"})
    assert questions.status_code in (303, 422)


async def test_framework_errors_on_pages_are_told_in_chinese(client, db):
    page = await client.get("/manage/stats?year=abc")
    assert page.status_code in (303, 302, 401, 422)
    await login(client, "organizer")
    for url in ("/manage/stats?year=abc", "/manage/stats?year=1999", "/manage/goals?year=x"):
        response = await client.get(url)
        assert response.status_code == 422, url
        assert "Expected" not in response.text and "请检查" in response.text, url
    missing = await client.get("/no-such-page")
    assert missing.status_code == 404 and "Not Found" not in missing.text


async def test_goals_form_without_its_fields_changes_nothing(client, db):
    await stats.set_goals(2027, [{"metric": "sessions.all", "target": 50}], None)
    await login(client, "organizer")
    response = await post_form(client, "/manage/goals?year=2027", {})
    assert response.status_code == 422
    assert "表单内容不完整" in response.text
    assert [(g["metric"], g["target"]) for g in (await stats.get_goals(2027))["goals"]] == [
        ("sessions.all", 50)
    ]
    # a field sent empty still removes its goal, as the form says
    cleared = await post_form(client, "/manage/goals?year=2027", {"t.sessions.all": ""})
    assert cleared.status_code == 303
    assert (await stats.get_goals(2027))["goals"] == []


async def test_huge_user_ids_are_404(client, db):
    await login(client, "admin")
    huge = "99999999999999999999"
    assert (await client.get(f"/manage/users/{huge}")).status_code == 404
    response = await post_form(client, f"/manage/users/{huge}", {"role": "staff", "active": "on"})
    assert response.status_code == 404
    revoke = await post_form(client, f"/manage/users/{huge}/tokens/1/revoke")
    assert revoke.status_code == 404


@pytest.mark.parametrize(
    ("field", "value"),
    [("display_name", "名字\x00"), ("display_name", "名" * 101), ("username", "u" * 100)],
)
async def test_user_form_refuses_rather_than_cuts(client, db, field, value):
    await login(client, "admin")
    form = {"username": "new-user", "display_name": "新人", "role": "staff", "password": "a" * 12}
    response = await post_form(client, "/manage/users", {**form, field: value})
    assert response.status_code == 422, response.text[:300]
    assert re.search(rf'id="f-{field}-error"', response.text)
    assert not await StaffUser.exists().where(StaffUser.username.like("new-user%"))
