"""The door-staff scanner on a 360×780 phone, with a fake camera and without a network.

The camera is Chromium's fake capture device playing a .y4m file of a real ticket's QR code
(made through the API, drawn with `qrcode`): the page must show 签到成功, then 已签到 when
the same ticket is still in front of the camera after the debounce. Offline, two phones decide
in the browser (signature checked with the event's public key) and queue their scans; back
online, the queues upload and the server counts every person once.
Screenshots: tests/screenshots/scanner-*.png.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import urllib.request
from datetime import datetime

import pytest

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, NO_BROWSER, PHONE, _no_browser

pytestmark = pytest.mark.browser

STAFF = ("staff", "canal-demo-2026")


def api(base: str, method: str, path: str, body=None, token: str | None = None) -> dict:
    request = urllib.request.Request(
        base + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={
            "Content-Type": "application/json",
            **({"Authorization": f"Bearer {token}"} if token else {}),
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def staff_token(base: str) -> str:
    login = api(base, "POST", "/api/v1/auth/login", {"username": STAFF[0], "password": STAFF[1]})
    return login["token"]


def open_event(base: str, seats: int) -> dict:
    """An upcoming published demo event open for registration with `seats` seats left."""
    now = datetime.now().astimezone()
    for event in api(base, "GET", "/api/v1/events")["items"]:
        opens = event.get("registration_opens_at")
        closes = event.get("registration_closes_at") or event["ends_at"]
        if (
            event["status"] == "published"
            and (not opens or datetime.fromisoformat(opens) <= now)
            and datetime.fromisoformat(closes) > now
            and event["seats_left"] >= seats
            and not event.get("family")
            and not event.get("ask_company")
        ):
            return event
    raise AssertionError("no demo event open for registration")


def ticket(base: str, event_id: int) -> dict:
    """A confirmed registration of one person, with its QR text."""
    phone = f"139{secrets.randbelow(10**8):08d}"
    name = f"扫码{phone[-4:]}"
    created = api(
        base,
        "POST",
        f"/api/v1/events/{event_id}/registrations",
        {"name": name, "phone": phone, "party_size": 1},
    )
    assert created["status"] == "confirmed", created
    found = api(base, "GET", f"/api/v1/tickets/{created['ticket_token']}")
    return {**created, "name": name, "qr": found["qr"]}


def forged(qr: str) -> str:
    """The same ticket with one byte of its signature changed."""
    head, payload = qr.rsplit("/c/", 1)
    data = bytearray(base64.urlsafe_b64decode(payload + "=="))
    data[40] ^= 0x01
    return f"{head}/c/{base64.urlsafe_b64encode(bytes(data)).rstrip(b'=').decode()}"


def write_y4m(path, text: str, width: int = 640, height: int = 480, frames: int = 10) -> None:
    """A still video of the QR code: 4:2:0 frames, grey chroma."""
    import qrcode
    from PIL import Image

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(text)
    code.make(fit=True)
    image = code.make_image(fill_color="black", back_color="white").convert("L")
    side = height - 40
    image = image.resize((side, side), Image.NEAREST)
    canvas = Image.new("L", (width, height), 235)
    canvas.paste(image, ((width - side) // 2, (height - side) // 2))
    luma = canvas.tobytes()
    chroma = bytes([128]) * ((width // 2) * (height // 2))
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + luma + chroma + chroma)


@pytest.fixture(scope="module")
def playwright_instance():
    if not os.path.exists(CHROMIUM):
        _no_browser(NO_BROWSER)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        _no_browser(f"{NO_BROWSER} ({error})")
    manager = sync_playwright()
    playwright = manager.start()
    try:
        yield playwright
    finally:
        playwright.stop()


def launch(playwright, extra: list[str]):
    try:
        return playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=[*CHROMIUM_ARGS, *extra]
        )
    except Exception as error:
        _no_browser(f"{NO_BROWSER} (launch failed: {error})")


def phone_page(browser, base: str):
    context = browser.new_context(base_url=base, **PHONE)
    context.set_default_timeout(15_000)
    context.grant_permissions(["camera"], origin=base)
    page = context.new_page()
    page.on("pageerror", lambda error: print("page error:", error))
    return context, page


def sign_in(page, base: str, event_id: int) -> None:
    page.goto(f"{base}/login?next=/checkin/{event_id}")
    page.fill("#username", STAFF[0])
    page.fill("#password", STAFF[1])
    page.click("button[type=submit]")
    page.wait_for_url(f"**/checkin/{event_id}")
    page.wait_for_selector("#scanner[data-ready='1']", state="attached")


def wait_answer(page, result: str):
    page.wait_for_selector(f"#answer[data-result='{result}']:not([hidden])")


def shot(page, screenshots, name: str) -> None:
    page.screenshot(path=str(screenshots / f"scanner-{name}.png"))


def test_camera_scan_shows_ok_then_duplicate(playwright_instance, server, screenshots, tmp_path):
    event = open_event(server, 1)
    holder = ticket(server, event["id"])
    video = tmp_path / "ticket.y4m"
    write_y4m(video, holder["qr"])
    browser = launch(
        playwright_instance,
        [
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    try:
        context, page = phone_page(browser, server)
        sign_in(page, server, event["id"])
        wait_answer(page, "ok")
        assert holder["name"] in page.inner_text("#answer")
        assert "签到成功" in page.inner_text("#answer")
        shot(page, screenshots, "ok")
        assert page.evaluate("document.querySelector('#scanner').dataset.camera") == "on"
        # the same ticket, still held up: ignored for a while, then 已签到 with the first time
        wait_answer(page, "duplicate")
        text = page.inner_text("#answer")
        assert "已签到" in text and "首次签到时间" in text
        shot(page, screenshots, "duplicate")
        answers = page.evaluate("window.CanalScanner.answers().map(a => a.result)")
        assert answers[:2] == ["ok", "duplicate"], answers
        counts = api(
            server,
            "GET",
            f"/api/v1/events/{event['id']}/checkin-counts",
            token=staff_token(server),
        )
        assert page.inner_text("[data-count=checked_in]") == str(counts["checked_in"])
        context.close()
    finally:
        browser.close()


def submit(page, text: str) -> dict:
    return page.evaluate("text => window.CanalScanner.submit(text)", text)


def queue_length(page) -> int:
    return page.evaluate("window.CanalScanner.queueLength()")


def test_offline_scans_queue_and_upload_once(playwright_instance, server, screenshots):
    event = open_event(server, 3)
    first, second = ticket(server, event["id"]), ticket(server, event["id"])
    fake = forged(first["qr"])
    token = staff_token(server)
    counts_url = f"/api/v1/events/{event['id']}/checkin-counts"
    before = api(server, "GET", counts_url, token=token)
    browser = launch(playwright_instance, [])
    try:
        one_context, one = phone_page(browser, server)
        two_context, two = phone_page(browser, server)
        for page in (one, two):
            sign_in(page, server, event["id"])
            page.evaluate("window.CanalScanner.ready")
        # online first: a forged ticket is refused by the server
        assert submit(one, fake)["result"] == "invalid"
        wait_answer(one, "invalid")
        assert "无效票" in one.inner_text("#answer")
        shot(one, screenshots, "invalid")
        one.click("#answer")

        for context, page in ((one_context, one), (two_context, two)):
            context.set_offline(True)
            page.wait_for_selector("[data-net=offline]")
        check = one.evaluate("q => window.CanalScanner.verifyTicket(q)", first["qr"])
        assert check == {"valid": True, "eventId": event["id"], "registrationId": first["id"]}
        bad = one.evaluate("q => window.CanalScanner.verifyTicket(q)", fake)
        assert bad["valid"] is False

        assert submit(one, first["qr"])["result"] == "ok"
        shot(one, screenshots, "offline-ok")
        assert submit(one, second["qr"])["result"] == "ok"
        assert submit(one, fake)["result"] == "invalid"
        assert submit(one, first["qr"])["result"] == "duplicate"
        assert submit(one, "https://weixin.qq.com/r/not-a-ticket")["result"] == "invalid"
        assert submit(two, first["qr"])["result"] == "ok"  # the other phone does not know
        assert queue_length(one) == 5 and queue_length(two) == 1
        one.wait_for_timeout(1700)  # the answer screen goes away by itself
        assert one.is_hidden("#answer")
        assert one.inner_text("[data-queue]") == "5"
        shot(one, screenshots, "offline-queue")
        assert api(server, "GET", counts_url, token=token) == before  # nothing sent yet

        for context, page in ((one_context, one), (two_context, two)):
            context.set_offline(False)
            page.evaluate("window.CanalScanner.sync()")
            page.wait_for_function("window.CanalScanner.queueLength().then(n => n === 0)")
            page.wait_for_selector("[data-net=online]")
        after = api(server, "GET", counts_url, token=token)
        assert after["checked_in"] == before["checked_in"] + 2
        assert after["checked_in_people"] == before["checked_in_people"] + 2
        assert one.inner_text("[data-queue]") == "0"
        assert one.inner_text("[data-last-sync]") != "—"
        # uploaded again (e.g. an answer lost on the way): still counted once
        assert submit(two, first["qr"])["result"] == "duplicate"
        assert api(server, "GET", counts_url, token=token)["checked_in"] == after["checked_in"]
        one.wait_for_timeout(300)
        assert one.evaluate("document.querySelector('[data-count=checked_in]').textContent") == str(
            after["checked_in"]
        )
        one_context.close()
        two_context.close()
    finally:
        browser.close()
