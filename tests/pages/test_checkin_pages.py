"""The scanner's pages and the JSON they call with the session cookie (both databases)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from events.core.timeutil import TZ
from events.door import tickets
from events.registration import registration as reg
from tests.pages.test_manage import login, make_event


async def signup(event, n, party=1):
    return await reg.register(
        event["id"], {"name": f"门口{n}", "phone": f"136{n:08d}", "party_size": party}
    )


def headers(client):
    return {"x-csrftoken": client.cookies["csrftoken"]}


async def post_json(client, url, body, **kwargs):
    return await client.post(url, json=body, headers=headers(client), **kwargs)


async def qr_of(event, registration):
    return tickets.qr_text(
        "http://testserver.local", await tickets.sign(event["id"], registration["id"])
    )


@pytest.fixture
async def door_event(db):
    return await make_event(capacity=4, max_party_size=3)


async def test_event_list_puts_today_first_and_hides_drafts(client, door_event):
    start = datetime.now(TZ).replace(microsecond=0)
    today = await make_event(
        title="今天的签到活动", starts_at=start, ends_at=start + timedelta(hours=3)
    )
    await make_event(title="草稿不签到", status="draft")
    await login(client, "staff")
    page = await client.get("/checkin")
    assert page.status_code == 200
    assert "草稿不签到" not in page.text
    first, second = page.text.index("今天的签到活动"), page.text.index(door_event["title"])
    assert first < second
    assert f'href="/checkin/{today["id"]}"' in page.text
    assert f'href="/checkin/{door_event["id"]}"' in page.text
    assert (await client.get("/checkin/")).status_code == 200  # the manifest's start_url


async def test_scanner_page_has_counts_desk_links_and_the_bundle(client, door_event):
    await signup(door_event, 1, party=3)
    await login(client, "staff")
    page = await client.get(f"/checkin/{door_event['id']}")
    assert page.status_code == 200
    assert door_event["title"] in page.text
    for tail, label in (("walk-in", "代报名"), ("sheet", "签到表"), ("paper", "补录纸质签到")):
        assert f'href="/checkin/{door_event["id"]}/{tail}"' in page.text and label in page.text
    assert "/static/build/scanner.js?v=" in page.text
    assert 'data-count="confirmed_people">3<' in page.text
    strings = page.text.split('id="scanner-strings">', 1)[1].split("</script>", 1)[0]
    assert json.loads(strings)["ok"] == "签到成功"  # the script's strings, translated here
    assert (await client.get("/checkin/999999")).status_code == 404
    draft = await make_event(status="draft")
    assert (await client.get(f"/checkin/{draft['id']}")).status_code == 404


async def test_scanner_warns_when_the_event_is_not_today(client, door_event):
    from events.tables import Event

    await login(client, "staff")
    page = await client.get(f"/checkin/{door_event['id']}")  # in five days
    assert "不是今天" in page.text
    start = datetime.now(TZ).replace(microsecond=0) - timedelta(minutes=30)
    await Event.update({Event.starts_at: start, Event.ends_at: start + timedelta(hours=2)}).where(
        Event.id == door_event["id"]
    )
    page = await client.get(f"/checkin/{door_event['id']}")
    assert "不是今天" not in page.text and "已于" not in page.text
    past = start - timedelta(days=3)
    await Event.update({Event.starts_at: past, Event.ends_at: past + timedelta(hours=2)}).where(
        Event.id == door_event["id"]
    )
    assert "已于" in (await client.get(f"/checkin/{door_event['id']}")).text
    earlier_today = datetime.now(TZ).replace(microsecond=0) - timedelta(minutes=3)
    await Event.update(
        {Event.ends_at: earlier_today, Event.starts_at: earlier_today - timedelta(hours=1)}
    ).where(Event.id == door_event["id"])
    assert "已于" in (await client.get(f"/checkin/{door_event['id']}")).text  # ended minutes ago


async def test_anonymous_is_sent_to_login_and_judges_are_refused(client, door_event):
    page = await client.get(f"/checkin/{door_event['id']}", follow_redirects=False)
    assert page.status_code in (302, 303) and page.headers["location"].startswith("/login")
    listing = await client.get("/checkin", follow_redirects=False)
    assert listing.status_code in (302, 303)
    data = await client.get(f"/checkin/{door_event['id']}/data")
    assert data.status_code == 401 and data.json()["code"] == "unauthorized"
    await client.get("/login")
    scan = await post_json(client, f"/checkin/{door_event['id']}/scan", {"code": "1-AAAAA"})
    assert scan.status_code == 401 and scan.json()["code"] == "unauthorized"
    await login(client, "judge")
    assert (await client.get("/checkin")).status_code == 403
    assert (await client.get(f"/checkin/{door_event['id']}")).status_code == 403
    refused = await client.get(f"/checkin/{door_event['id']}/data")
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert (
        await post_json(client, f"/checkin/{door_event['id']}/sync", {"scans": []})
    ).status_code == 403


@pytest.mark.parametrize("role", ["staff", "organizer", "admin"])
async def test_door_roles_may_scan(client, door_event, role):
    one = await signup(door_event, 1)
    await login(client, role)
    answer = await post_json(
        client, f"/checkin/{door_event['id']}/scan", {"qr": await qr_of(door_event, one)}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["result"] == "ok"


async def test_scan_answers_with_counts_then_duplicate(client, door_event):
    one = await signup(door_event, 1, party=2)
    qr = await qr_of(door_event, one)
    await login(client, "staff")
    url = f"/checkin/{door_event['id']}/scan"
    first = (await post_json(client, url, {"qr": qr, "nonce": "n-1", "device": "gate"})).json()
    assert first["result"] == "ok"
    assert first["registration"] == {"id": one["id"], "name": "门口1", "party_size": 2}
    assert first["counts"] == {
        "confirmed": 1,
        "confirmed_people": 2,
        "checked_in": 1,
        "checked_in_people": 2,
        "seats": 4,
    }
    retry = (await post_json(client, url, {"qr": qr, "nonce": "n-1"})).json()
    assert retry["result"] == "ok" and retry["checked_in_at"] == first["checked_in_at"]
    again = (await post_json(client, url, {"qr": qr, "nonce": "n-2"})).json()
    assert again["result"] == "duplicate" and again["checked_in_at"] == first["checked_in_at"]
    assert again["counts"]["checked_in"] == 1
    code = (await post_json(client, url, {"code": tickets.manual_code(one["id"])})).json()
    assert code["result"] == "duplicate"


async def test_scan_results_for_forged_other_event_cancelled_and_waitlisted(client, door_event):
    other = await make_event()
    one = await signup(door_event, 1, party=3)
    waiting = await signup(door_event, 2, party=2)
    assert waiting["status"] == "waitlisted"
    elsewhere = await signup(other, 3)
    await login(client, "staff")
    url = f"/checkin/{door_event['id']}/scan"
    qr = await qr_of(door_event, one)
    forged = qr[:-3] + ("A" if qr[-3] != "A" else "B") + qr[-2:]
    assert (await post_json(client, url, {"qr": forged})).json()["result"] == "invalid"
    assert (await post_json(client, url, {"qr": "hello"})).json()["result"] == "invalid"
    wrong = await post_json(client, url, {"qr": await qr_of(other, elsewhere)})
    assert wrong.json()["result"] == "wrong_event"
    waiting_qr = await qr_of(door_event, waiting)
    assert (await post_json(client, url, {"qr": waiting_qr})).json()["result"] == "not_confirmed"


async def test_csrf_is_required_on_posts(client, door_event):
    one = await signup(door_event, 1)
    await login(client, "staff")
    qr = await qr_of(door_event, one)
    for tail, body in (("scan", {"qr": qr}), ("sync", {"device": "d", "scans": []})):
        refused = await client.post(f"/checkin/{door_event['id']}/{tail}", json=body)
        assert refused.status_code == 403, tail
        assert refused.json()["code"] == "csrf_failed"
    wrong = await client.post(
        f"/checkin/{door_event['id']}/scan", json={"qr": qr}, headers={"x-csrftoken": "nope"}
    )
    assert wrong.status_code == 403
    data = (await client.get(f"/checkin/{door_event['id']}/data")).json()
    assert data["counts"]["checked_in"] == 0


async def test_offline_data_and_search(client, door_event):
    one = await signup(door_event, 1234, party=3)
    waiting = await signup(door_event, 2, party=2)
    await login(client, "staff")
    data = await client.get(f"/checkin/{door_event['id']}/data")
    assert data.status_code == 200 and data.headers["cache-control"] == "no-store"
    body = data.json()
    assert len(tickets._unb64(body["public_key"])) == 32
    assert body["confirmed"] == [
        {
            "id": one["id"],
            "name": "门*",
            "party_size": 3,
            "phone_last4": "1234",
            "checked_in_at": None,
        }
    ]
    assert body["waitlisted"] == [waiting["id"]] and body["revoked"] == []
    found = await client.get(
        f"/checkin/{door_event['id']}/search", params={"last4": "1234", "name": "门口"}
    )
    assert found.status_code == 200 and [p["id"] for p in found.json()] == [one["id"]]
    bad = await client.get(
        f"/checkin/{door_event['id']}/search", params={"last4": "12", "name": ""}
    )
    assert bad.status_code == 422 and bad.json()["code"] == "invalid"
    picked = await post_json(
        client, f"/checkin/{door_event['id']}/scan", {"registration_id": one["id"]}
    )
    assert picked.json()["result"] == "ok"


async def test_sync_uploads_a_queue_once_and_counts_a_person_once(client, door_event):
    one = await signup(door_event, 1, party=2)
    qr = await qr_of(door_event, one)
    await login(client, "staff")
    url = f"/checkin/{door_event['id']}/sync"
    at = (datetime.now(TZ) - timedelta(minutes=5)).isoformat()
    scans = [
        {"nonce": "a-1", "scanned_at": at, "qr": qr},
        {"nonce": "a-2", "scanned_at": at, "code": tickets.manual_code(one["id"])},
        {"nonce": "a-3", "scanned_at": at, "qr": qr[:-2] + "xx"},
    ]
    first = await post_json(client, url, {"device": "phone-a", "scans": scans})
    assert first.status_code == 200, first.text
    body = first.json()
    assert [(r["nonce"], r["result"]) for r in body["results"]] == [
        ("a-1", "ok"),
        ("a-2", "duplicate"),
        ("a-3", "invalid"),
    ]
    assert body["counts"]["checked_in"] == 1 and body["counts"]["checked_in_people"] == 2
    # the same upload again (cut off before the answer arrived), and a second device's scan
    again = await post_json(client, url, {"device": "phone-a", "scans": scans})
    assert [r["result"] for r in again.json()["results"]] == ["ok", "duplicate", "invalid"]
    other = await post_json(
        client, url, {"device": "phone-b", "scans": [{"nonce": "b-1", "scanned_at": at, "qr": qr}]}
    )
    assert other.json()["results"][0]["result"] == "duplicate"
    assert other.json()["counts"]["checked_in"] == 1


@pytest.mark.parametrize(
    ("tail", "body"),
    [
        ("scan", {}),
        ("scan", {"qr": 5}),
        ("scan", {"qr": "x" * 5000}),
        ("scan", {"registration_id": "abc"}),
        ("scan", {"code": "12"}),
        ("scan", {"qr": "a", "nonce": "x" * 500}),
        ("scan", [1, 2]),
        ("sync", {"scans": "nope"}),
        ("sync", {"scans": [{"qr": "a"}]}),
        ("sync", {"scans": [1]}),
        ("sync", {}),
    ],
)
async def test_bad_input_is_4xx_never_5xx(client, door_event, tail, body):
    await login(client, "staff")
    response = await post_json(client, f"/checkin/{door_event['id']}/{tail}", body)
    assert 200 <= response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.json()["code"]


async def test_bad_json_and_unknown_events_are_4xx(client, door_event):
    await login(client, "staff")
    raw = await client.post(
        f"/checkin/{door_event['id']}/scan",
        content=b"{not json",
        headers={**headers(client), "content-type": "application/json"},
    )
    assert raw.status_code in (400, 422)
    missing = await post_json(client, "/checkin/999999/scan", {"qr": "a"})
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    assert (await client.get("/checkin/999999/data")).status_code == 404
    assert (await client.get("/checkin/0/search?last4=1234&name=a")).status_code == 404


async def test_service_worker_and_manifest_are_public(client, db):
    worker = await client.get("/checkin/sw.js")
    assert worker.status_code == 200
    assert worker.headers["cache-control"] == "no-cache"
    assert "javascript" in worker.headers["content-type"]
    assert "canal-checkin" in worker.text
    manifest = await client.get("/checkin/manifest.webmanifest")
    assert manifest.status_code == 200
    assert manifest.json()["scope"] == "/checkin/"
