"""A resident's walk on a 360×780 phone: catalogue → event → 立即报名 → form → ticket → cancel.

The QR code on the ticket page is photographed (an element screenshot) and decoded with
zxing-cpp: what a phone camera would read must be exactly the ticket's `qr` from the API.
Screenshots go to tests/screenshots/walk-*.png for a person to look at.
"""

from __future__ import annotations

import io
from datetime import datetime
from urllib.parse import urlsplit

import pytest

from tests.browser.test_catalogue_pages import (
    assert_fields_labelled,
    assert_no_sideways_scroll,
    card_paths,
)

pytestmark = pytest.mark.browser

NAME = "<i>王</i>阿姨"
PHONE = "13912345678"


def _open_now(event: dict) -> bool:
    at = datetime.now().astimezone()
    opens = event.get("registration_opens_at")
    closes = event.get("registration_closes_at") or event["ends_at"]
    return (
        event["status"] == "published"
        and (not opens or datetime.fromisoformat(opens) <= at)
        and datetime.fromisoformat(closes) > at
        and event["seats_left"] >= 2
        and not event.get("family")
        and not event.get("ask_company")
    )


def pick_event(phone) -> dict:
    """An upcoming demo event, open for registration, whose card is on the catalogue's front."""
    items = phone.page.request.get(phone.url("/api/v1/events")).json()["items"]
    on_front = set(card_paths(phone.page))
    candidates = [e for e in items if _open_now(e) and f"/events/{e['id']}" in on_front]
    assert candidates, "no demo event open for registration on the catalogue's front page"
    candidates.sort(key=lambda e: (e["max_party_size"] < 2, e["starts_at"]))
    return candidates[0]


def decode_qr(element) -> list[str]:
    import zxingcpp
    from PIL import Image

    image = Image.open(io.BytesIO(element.screenshot()))
    return [result.text for result in zxingcpp.read_barcodes(image)]


def shot(page, screenshots, name: str) -> None:
    assert_no_sideways_scroll(page)
    page.screenshot(path=str(screenshots / f"walk-{name}.png"), full_page=True)


def test_register_see_the_ticket_and_cancel(phone, screenshots):
    page = phone.page
    phone.goto("/")
    event = pick_event(phone)
    shot(page, screenshots, "1-catalogue")

    with page.expect_navigation():
        page.locator(f'.event-card a[href="/events/{event["id"]}"]').first.click()
    assert page.locator("h1").inner_text().strip() == event["title"]
    button = page.get_by_role("link", name="立即报名")
    assert button.is_visible()
    box = button.bounding_box()
    assert box["height"] >= 48 and box["width"] >= 300, box  # a big target on a phone
    shot(page, screenshots, "2-event")

    with page.expect_navigation():
        button.click()
    assert urlsplit(page.url).path == f"/events/{event['id']}/register"
    assert page.locator("h1").inner_text().strip() == event["title"]
    assert_fields_labelled(page, at_least=3)  # name, phone, consent
    shot(page, screenshots, "3-form")

    # Sent with mistakes: each message beside its field, the typed values kept.
    page.get_by_label("手机号").fill("0571-8800")
    with page.expect_navigation():
        page.get_by_role("button", name="提交报名").click()
    assert page.locator("#error-summary").is_visible()
    assert page.locator("#f-name").get_attribute("aria-invalid") == "true"
    assert (
        page.locator("#f-phone-error").inner_text().strip().endswith("请填写 11 位手机号（1 开头）")
    )
    assert page.locator("#f-consent-error").is_visible()
    assert page.locator("#f-phone").input_value() == "0571-8800"
    shot(page, screenshots, "4-form-errors")

    page.get_by_label("姓名").fill(NAME)
    page.get_by_label("手机号").fill(PHONE)
    party = 2 if event["max_party_size"] >= 2 else 1
    if party == 2:
        page.get_by_label("参加人数").select_option("2")
    page.get_by_label("我已阅读并同意上述个人信息说明").check()
    with page.expect_navigation():
        page.get_by_role("button", name="提交报名").click()
    path = urlsplit(page.url).path
    assert path.startswith("/t/"), page.url
    token = path.removeprefix("/t/")
    assert page.locator(".ticket-status").inner_text().strip() == "报名成功"
    assert page.get_by_text(NAME, exact=True).is_visible()  # shown as text, not markup
    assert page.get_by_role("link", name="加入日历").is_visible()
    qr = page.locator("#ticket-qr")
    qr_box = qr.bounding_box()
    assert 250 <= qr_box["width"] <= 310, qr_box
    shot(page, screenshots, "5-ticket")
    qr.screenshot(path=str(screenshots / "walk-5-qr.png"))

    api = page.request.get(phone.url(f"/api/v1/tickets/{token}")).json()
    assert api["status"] == "confirmed" and api["party_size"] == party
    assert decode_qr(qr) == [api["qr"]]

    # Remembered on this device: 我的报名 lists it before any phone check.
    remembered = page.evaluate("() => JSON.parse(localStorage.getItem('ce_tickets'))")
    assert remembered[0]["token"] == token and remembered[0]["title"] == event["title"]
    phone.goto("/me")
    local = page.locator("[data-local-tickets]")
    assert local.is_visible() and event["title"] in local.inner_text()
    assert_fields_labelled(page, at_least=1)
    shot(page, screenshots, "6-me")
    page.get_by_label("手机号").fill(PHONE)
    with page.expect_navigation():
        page.get_by_role("button", name="获取验证码").click()
    assert page.get_by_label("短信验证码").is_visible()
    assert "139****5678" in page.locator('[role="status"]').first.inner_text()
    assert_fields_labelled(page, at_least=1)
    shot(page, screenshots, "6-me-code")

    # What a camera app opens: genuine, masked, and a way back to the full ticket.
    phone.goto(urlsplit(api["qr"]).path)
    assert page.locator(".check-status").inner_text().strip() == "有效门票 · 已确认"
    assert "139****5678" in page.locator("dl.facts").inner_text()
    assert PHONE not in page.content()
    own = page.get_by_role("link", name="这是我的票：查看完整门票")
    assert own.is_visible() and own.get_attribute("href") == f"/t/{token}"
    shot(page, screenshots, "7-scan")

    phone.goto(f"/t/{token}")
    with page.expect_navigation():
        page.get_by_role("link", name="取消报名").click()
    assert page.locator("h1").inner_text().strip() == "确定要取消报名吗？"
    shot(page, screenshots, "8-cancel-confirm")
    with page.expect_navigation():
        page.get_by_role("button", name="确认取消报名").click()
    assert urlsplit(page.url).path == f"/t/{token}"
    assert page.locator(".ticket-status").inner_text().strip() == "已取消"
    assert page.locator("#ticket-qr").count() == 0
    assert page.get_by_role("link", name="取消报名").count() == 0
    shot(page, screenshots, "9-cancelled")
    assert page.request.get(phone.url(f"/api/v1/tickets/{token}")).json()["status"] == "cancelled"
    assert phone.foreign_requests() == []


def test_an_invalid_ticket_page_on_a_phone(phone, screenshots):
    page = phone.page
    response = page.goto(phone.url("/c/not-a-ticket-at-all"))
    assert response.status == 404
    assert page.locator("h1").inner_text().strip() == "无效票"
    shot(page, screenshots, "10-invalid")
