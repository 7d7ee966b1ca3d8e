"""Door staff on a 360×780 phone: a ticket's /c/ URL opened by any camera app → 签到; a
代报名 at the desk; the printable 签到表. Screenshots go to tests/screenshots/desk-*.png."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from events.core.timeutil import TZ
from tests.browser.test_catalogue_pages import assert_no_sideways_scroll
from tests.browser.test_registration_walk import _open_now

pytestmark = pytest.mark.browser

PASSWORD = "canal-demo-2026"


def shot(page, screenshots, name: str, sideways: bool = True) -> None:
    if sideways:
        assert_no_sideways_scroll(page)
    page.screenshot(path=str(screenshots / f"desk-{name}.png"), full_page=True)


def move_to_today(phone, event_id: int) -> None:
    """The organizer moves the event to have begun half an hour ago (through the API)."""
    request = phone.page.request
    login = request.post(
        phone.url("/api/v1/auth/login"), data={"username": "organizer", "password": PASSWORD}
    )
    assert login.ok, login.text()
    start = datetime.now(TZ).replace(microsecond=0) - timedelta(minutes=30)
    moved = request.patch(
        phone.url(f"/api/v1/events/{event_id}"),
        data={
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=2)).isoformat(),
            "registration_closes_at": None,
        },
        headers={"Authorization": f"Bearer {login.json()['token']}"},
    )
    assert moved.ok, moved.text()


def login_as_staff(phone) -> None:
    phone.goto("/login")
    phone.page.fill("#username", "staff")
    phone.page.fill("#password", PASSWORD)
    with phone.page.expect_navigation():
        phone.page.get_by_role("button", name="登录").click()


def a_real_ticket(phone) -> tuple[dict, str]:
    """(an open demo event, the QR text of a new registration to it made through the API)."""
    items = phone.page.request.get(phone.url("/api/v1/events")).json()["items"]
    event = next(e for e in items if _open_now(e))
    made = phone.page.request.post(
        phone.url(f"/api/v1/events/{event['id']}/registrations"),
        data={"name": "周桂兰", "phone": "13812340077"},
    )
    assert made.status == 201, made.text()
    token = made.json()["ticket_token"]
    qr = phone.page.request.get(phone.url(f"/api/v1/tickets/{token}")).json()["qr"]
    return event, qr


def test_staff_checks_a_ticket_in_walks_one_in_and_prints_the_sheet(phone, screenshots):
    page = phone.page
    event, qr = a_real_ticket(phone)
    path = "/c/" + qr.rsplit("/c/", 1)[1]
    login_as_staff(phone)

    phone.goto(path)
    assert "周桂兰" in page.locator(".staff-checkin").inner_text()
    button = page.get_by_role("button", name="签到", exact=True)
    box = button.bounding_box()
    assert box["height"] >= 56 and box["width"] >= 280, box
    shot(page, screenshots, "1-ticket-before")
    with page.expect_navigation():
        button.click()
    result = page.locator("#checkin-result")
    assert "签到成功" in result.inner_text()
    assert "result-ok" in result.get_attribute("class")
    shot(page, screenshots, "2-ticket-checked-in")
    phone.goto(path)  # opened again: no button, the first time instead
    assert page.get_by_role("button", name="签到", exact=True).count() == 0
    assert "首次签到时间" in page.locator(".staff-checkin").inner_text()

    move_to_today(phone, event["id"])  # walk-ins are taken on the event's day
    phone.goto(f"/checkin/{event['id']}/walk-in")
    page.fill("#f-name", "陈阿婆")
    with page.expect_navigation():
        page.get_by_role("button", name="登记并签到").click()
    assert "已报名并签到" in page.locator(".desk-result").inner_text()
    assert page.get_by_role("link", name="再登记一位").is_visible()
    shot(page, screenshots, "3-walk-in-done")

    phone.goto(f"/checkin/{event['id']}/sheet")
    text = page.locator("table.sheet").inner_text()
    assert "周桂兰" in text and "陈阿婆" in text
    assert page.get_by_role("button", name="打印").is_visible()  # shown by desk.js
    shot(page, screenshots, "4-sheet-screen")
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    page.emulate_media(media="print")
    assert not page.locator(".top").is_visible()
    assert not page.get_by_role("button", name="打印").is_visible()
    page.screenshot(path=str(screenshots / "desk-5-sheet-print.png"), full_page=True)
