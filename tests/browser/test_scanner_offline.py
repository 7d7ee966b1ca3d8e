"""The scanner as an installed app: reloaded and opened without a network, and its fallback.

1. PWA: online, the service worker installs and caches the scanner page and its assets and the
   page stores the event's offline data; then the context goes offline and the page is
   RELOADED, and opened again in a new tab: both come from the service worker's cache, show
   离线, accept a genuine ticket, refuse a forged one and queue both; back online the queues
   upload and the server counts grow by exactly the genuine tickets.
2. The @noble/ed25519 fallback (Chromium has WebCrypto Ed25519, so it never runs by itself):
   forced with `?verify=noble` and with `window.__forceNoble`, it gives WebCrypto's verdicts.
Also: the web app manifest and the page's link to it.
"""

from __future__ import annotations

import base64
import json
import urllib.request

import pytest

from tests.browser.test_scanner import (
    api,
    forged,
    launch,
    open_event,
    phone_page,
    playwright_instance,  # noqa: F401 (a fixture)
    queue_length,
    shot,
    sign_in,
    staff_token,
    submit,
    ticket,
    wait_answer,
)

pytestmark = pytest.mark.browser

CACHE = "canal-checkin-v1"


def offline_ready(page, event_id: int) -> None:
    """The service worker controls the page, the page and its assets are cached, data stored."""
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.wait_for_function(
        """async ([cache, eventId]) => {
            const store = await caches.open(cache);
            const urls = [location.pathname, ...Array.from(
                document.querySelectorAll('link[rel="stylesheet"], script[src]'),
                el => el.href || el.src)];
            const hits = await Promise.all(urls.map(url => store.match(url)));
            if (!hits.every(Boolean)) return false;
            const db = await new Promise((resolve, reject) => {
                const open = indexedDB.open("canal-checkin");
                open.onsuccess = () => resolve(open.result);
                open.onerror = () => reject(open.error);
            });
            const data = await new Promise(resolve => {
                const get = db.transaction("kv").objectStore("kv").get(`data:${eventId}`);
                get.onsuccess = () => resolve(get.result);
                get.onerror = () => resolve(null);
            });
            db.close();
            return Boolean(data && data.public_key && data.event && data.event.id === eventId);
        }""",
        arg=[CACHE, event_id],
    )


def offline_answers(page, genuine: dict, fake: str, event_id: int) -> None:
    """The page came from the cache, says 离线, and decides and queues both tickets."""
    page.wait_for_selector("#scanner[data-ready='1']", state="attached")
    page.evaluate("window.CanalScanner.ready")
    assert page.evaluate("navigator.onLine") is False
    assert page.inner_text("[data-net]") == "离线"
    assert page.get_attribute("[data-net]", "data-net") == "offline"
    check = page.evaluate("q => window.CanalScanner.verifyTicket(q)", genuine["qr"])
    assert check == {"valid": True, "eventId": event_id, "registrationId": genuine["id"]}
    assert page.evaluate("q => window.CanalScanner.verifyTicket(q)", fake)["valid"] is False
    queued = queue_length(page)
    answer = submit(page, genuine["qr"])
    assert answer["result"] == "ok" and answer["offline"] is True, answer
    wait_answer(page, "ok")
    assert "签到成功" in page.inner_text("#answer")
    page.click("#answer")
    assert submit(page, fake)["result"] == "invalid"
    wait_answer(page, "invalid")
    assert "无效票" in page.inner_text("#answer")
    assert queue_length(page) == queued + 2


def test_scanner_reloads_and_opens_offline(playwright_instance, server, screenshots):  # noqa: F811
    event = open_event(server, 2)
    event_id = event["id"]
    first, second = ticket(server, event_id), ticket(server, event_id)
    fake = forged(first["qr"])
    token = staff_token(server)
    counts_url = f"/api/v1/events/{event_id}/checkin-counts"
    before = api(server, "GET", counts_url, token=token)
    browser = launch(playwright_instance, [])
    try:
        context, page = phone_page(browser, server)
        sign_in(page, server, event_id)
        page.evaluate("window.CanalScanner.ready")
        offline_ready(page, event_id)

        context.set_offline(True)
        # the worker itself has no network either: what loads next can only be its cache
        workers = [w for w in context.service_workers if w.url.endswith("/checkin/sw.js")]
        assert len(workers) == 1, [w.url for w in context.service_workers]
        reach = "fetch('/healthz', {cache: 'no-store'}).then(() => 'network', () => 'offline')"
        assert workers[0].evaluate(reach) == "offline"
        reloaded = page.reload()
        assert reloaded is not None and reloaded.from_service_worker
        assert reloaded.status == 200
        offline_answers(page, first, fake, event_id)
        shot(page, screenshots, "offline-reload")

        tab = context.new_page()
        tab.on("pageerror", lambda error: print("page error:", error))
        opened = tab.goto(f"{server}/checkin/{event_id}")
        assert opened is not None and opened.from_service_worker and opened.status == 200
        offline_answers(tab, second, fake, event_id)
        assert queue_length(tab) == 4 and queue_length(page) == 4  # one queue per device
        # the installed app starts at the event list (the manifest's start_url): cached too
        listed = tab.goto(f"{server}/checkin/")
        assert listed is not None and listed.from_service_worker and listed.status == 200
        assert tab.locator(f"a[href='/checkin/{event_id}']").count() >= 1
        tab.go_back()
        tab.wait_for_selector("#scanner[data-ready='1']", state="attached")
        assert api(server, "GET", counts_url, token=token) == before  # nothing sent yet

        context.set_offline(False)  # both tabs upload the same queue: each nonce counts once
        for view in (page, tab):
            view.wait_for_selector("[data-net=online]")
            view.evaluate("window.CanalScanner.sync()")
            view.wait_for_function("window.CanalScanner.queueLength().then(n => n === 0)")
        after = api(server, "GET", counts_url, token=token)
        assert after["checked_in"] == before["checked_in"] + 2
        assert after["checked_in_people"] == before["checked_in_people"] + 2
        context.close()
    finally:
        browser.close()


VERDICTS = """async ([texts, noble]) => {
    window.__forceNoble = noble;
    const out = [];
    for (const text of texts) {
        const answer = await window.CanalScanner.verifyTicket(text);
        out.push([answer.valid, window.CanalScanner.verifyEngine()]);
    }
    window.__forceNoble = false;
    return out;
}"""


def altered(qr: str, index: int) -> str:
    """The ticket with byte `index` of its payload changed (1-8 ids, 9-40 R, 41-72 S)."""
    head, payload = qr.rsplit("/c/", 1)
    data = bytearray(base64.urlsafe_b64decode(payload + "=="))
    data[index] ^= 0x01
    return f"{head}/c/{base64.urlsafe_b64encode(bytes(data)).rstrip(b'=').decode()}"


def test_noble_fallback_gives_webcrypto_verdicts(playwright_instance, server):  # noqa: F811
    event = open_event(server, 2)
    event_id = event["id"]
    genuine = [ticket(server, event_id) for _ in range(2)]
    texts = [holder["qr"] for holder in genuine]
    for index in (8, 9, 20, 40, 41, 60, 72):
        texts.append(altered(genuine[0]["qr"], index))
    texts.append(forged(genuine[1]["qr"]))
    expected = [True, True] + [False] * (len(texts) - 2)
    browser = launch(playwright_instance, [])
    try:
        context, page = phone_page(browser, server)
        sign_in(page, server, event_id)
        page.evaluate("window.CanalScanner.ready")
        assert page.evaluate("window.CanalScanner.nativeCrypto()") is True  # Chromium has it

        native = page.evaluate(VERDICTS, [texts, False])
        noble = page.evaluate(VERDICTS, [texts, True])
        assert [valid for valid, _ in native] == expected
        assert [valid for valid, _ in noble] == expected
        assert {engine for _, engine in native} == {"webcrypto"}
        assert {engine for _, engine in noble} == {"noble"}
        assert page.evaluate("window.CanalScanner.verifyEngine()") == "noble"  # the last one
        page.evaluate("q => window.CanalScanner.verifyTicket(q)", texts[0])
        assert page.evaluate("window.CanalScanner.verifyEngine()") == "webcrypto"

        # `?verify=noble`: every check of the page, the offline scans too, uses the fallback
        page.goto(f"{server}/checkin/{event_id}?verify=noble")
        page.wait_for_selector("#scanner[data-ready='1']", state="attached")
        page.evaluate("window.CanalScanner.ready")
        context.set_offline(True)
        page.wait_for_selector("[data-net=offline]")
        assert submit(page, genuine[0]["qr"])["result"] == "ok"
        assert page.evaluate("window.CanalScanner.verifyEngine()") == "noble"
        assert submit(page, texts[-1])["result"] == "invalid"
        assert submit(page, texts[4])["result"] == "invalid"
        assert page.evaluate("window.CanalScanner.verifyEngine()") == "noble"
        context.set_offline(False)
        page.evaluate("window.CanalScanner.sync()")
        page.wait_for_function("window.CanalScanner.queueLength().then(n => n === 0)")
        context.close()
    finally:
        browser.close()


def test_manifest_and_link(playwright_instance, server):  # noqa: F811
    with urllib.request.urlopen(f"{server}/checkin/manifest.webmanifest", timeout=10) as response:
        assert response.headers["Content-Type"].startswith("application/manifest+json")
        manifest = json.loads(response.read())
    assert manifest["name"] and manifest["short_name"]
    assert manifest["start_url"] == "/checkin/" and manifest["scope"] == "/checkin/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"].startswith("#") and manifest["background_color"]
    assert manifest["icons"], manifest
    for icon in manifest["icons"]:
        assert icon["sizes"] == "any" or "x" in icon["sizes"]
        with urllib.request.urlopen(server + icon["src"], timeout=10) as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith(icon["type"])
    event = open_event(server, 1)
    browser = launch(playwright_instance, [])
    try:
        context, page = phone_page(browser, server)
        sign_in(page, server, event["id"])
        link = page.evaluate("document.querySelector('link[rel=manifest]').href")
        assert link == f"{server}/checkin/manifest.webmanifest"
        theme = page.get_attribute("meta[name=theme-color]", "content")
        assert theme == manifest["theme_color"]
        context.close()
    finally:
        browser.close()
