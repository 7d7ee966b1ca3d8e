"""The contract's registration and ticket endpoints, with every error code."""

import json
from datetime import datetime, timedelta

import pytest

from events.door import tickets
from tests.settings_env import set_environment


def person(n, **extra):
    return {"name": f"居民{n}", "phone": f"139{n:08d}", **extra}


async def test_register_confirms_then_waitlists(client, make_event):
    event = await make_event(capacity=2, max_party_size=2)
    url = f"/api/v1/events/{event['id']}/registrations"
    first = await client.post(url, json=person(1, party_size=2))
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["status"] == "confirmed" and body["waitlist_position"] is None
    assert body["ticket_url"].endswith(f"/t/{body['ticket_token']}")
    assert len(body["ticket_token"]) >= 24
    second = (await client.post(url, json=person(2))).json()
    third = (await client.post(url, json=person(3))).json()
    assert (second["status"], second["waitlist_position"]) == ("waitlisted", 1)
    assert third["waitlist_position"] == 2
    event_now = (await client.get(f"/api/v1/events/{event['id']}")).json()
    assert (event_now["confirmed"], event_now["waitlisted"], event_now["seats_left"]) == (2, 2, 0)


async def test_ticket_lookup_qr_and_cancel(client, make_event):
    event = await make_event(capacity=1)
    url = f"/api/v1/events/{event['id']}/registrations"
    holder = (await client.post(url, json=person(1))).json()
    waiting = (await client.post(url, json=person(2))).json()
    ticket = (await client.get(f"/api/v1/tickets/{holder['ticket_token']}")).json()
    assert ticket["status"] == "confirmed" and ticket["event_id"] == event["id"]
    assert ticket["party_size"] == 1 and ticket["checked_in_at"] is None
    assert ticket["qr"].startswith("http://testserver.local/c/")
    assert await tickets.verify(ticket["qr"]) == (event["id"], holder["id"])
    queued = (await client.get(f"/api/v1/tickets/{waiting['ticket_token']}")).json()
    assert queued["status"] == "waitlisted" and queued["qr"] is None
    assert queued["waitlist_position"] == 1
    cancelled = await client.post(f"/api/v1/tickets/{holder['ticket_token']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json() == {"status": "cancelled"}
    gone = (await client.get(f"/api/v1/tickets/{holder['ticket_token']}")).json()
    assert gone["status"] == "cancelled" and gone["qr"] is None
    promoted = (await client.get(f"/api/v1/tickets/{waiting['ticket_token']}")).json()
    assert promoted["status"] == "confirmed" and promoted["qr"]
    again = await client.post(f"/api/v1/tickets/{holder['ticket_token']}/cancel")
    assert again.status_code == 200


async def test_registration_error_codes(client, make_event):
    event = await make_event(capacity=1, waitlist=False)
    url = f"/api/v1/events/{event['id']}/registrations"
    assert (await client.post(url, json=person(1))).status_code == 201
    again = await client.post(url, json=person(1))
    assert again.status_code == 409 and again.json()["code"] == "already_registered"
    full = await client.post(url, json=person(2))
    assert full.status_code == 409 and full.json()["code"] == "full"
    draft = await make_event(status="draft")
    missing = await client.post(f"/api/v1/events/{draft['id']}/registrations", json=person(3))
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    nowhere = await client.post("/api/v1/events/987654/registrations", json=person(3))
    assert nowhere.status_code == 404
    cancelled = await make_event()
    await client.patch(
        f"/api/v1/events/{cancelled['id']}",
        json={"status": "cancelled"},
        headers=make_event.headers,
    )
    closed = await client.post(f"/api/v1/events/{cancelled['id']}/registrations", json=person(4))
    assert closed.status_code == 409 and closed.json()["code"] == "closed"
    opens = datetime.now().astimezone() + timedelta(days=5)  # the event is in 10 days
    later = await make_event(registration_opens_at=opens.isoformat())
    early = await client.post(f"/api/v1/events/{later['id']}/registrations", json=person(5))
    assert early.status_code == 409 and early.json()["code"] == "closed"


@pytest.mark.parametrize(
    "body",
    [
        {"name": "甲", "phone": "1380013800"},
        {"name": "甲", "phone": "138001380001"},
        {"name": "甲", "phone": "1380013800a"},
        {"name": "甲", "phone": "0571-88888888"},
        {"name": "", "phone": "13800138000"},
        {"name": "x" * 500, "phone": "13800138000"},
        {"name": "甲", "phone": "13800138000", "party_size": 0},
        {"name": "甲", "phone": "13800138000", "party_size": 99},
        {"name": "甲"},
        {"phone": "13800138000"},
        {"name": None, "phone": "13800138000"},
    ],
)
async def test_bad_registrations_are_422(client, make_event, body):
    event = await make_event(max_party_size=2)
    response = await client.post(f"/api/v1/events/{event['id']}/registrations", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid"


async def test_html_in_a_name_is_kept_as_text(client, make_event):
    event = await make_event()
    name = "<script>alert('x')</script>"
    response = await client.post(
        f"/api/v1/events/{event['id']}/registrations", json={"name": name, "phone": "13800138000"}
    )
    assert response.status_code == 201


async def test_unknown_tickets_are_404(client):
    for token in ("nope", "x" * 32, "x" * 500):
        response = await client.get(f"/api/v1/tickets/{token}")
        assert response.status_code == 404 and response.json()["code"] == "not_found"
        assert (await client.post(f"/api/v1/tickets/{token}/cancel")).status_code == 404


async def test_registrations_are_rate_limited_per_phone(client, make_event, request):
    set_environment(request, EVENTS_REGISTRATION_LIMIT_PER_PHONE="2/hour")
    codes = []
    for _ in range(3):
        event = await make_event()
        response = await client.post(f"/api/v1/events/{event['id']}/registrations", json=person(1))
        codes.append(response.status_code)
    assert codes == [201, 201, 429]


async def _checked_in_holder_and_waiting(client, make_event, token_for):
    """A one-seat event: the holder checked in at the door, someone else on the waitlist."""
    event = await make_event(capacity=1)
    url = f"/api/v1/events/{event['id']}/registrations"
    holder = (await client.post(url, json=person(1))).json()
    waiting = (await client.post(url, json=person(2))).json()
    qr = (await client.get(f"/api/v1/tickets/{holder['ticket_token']}")).json()["qr"]
    door = await token_for("staff")
    scan = await client.post(
        "/api/v1/checkins", json={"event_id": event["id"], "qr": qr}, headers=door
    )
    assert scan.json()["result"] == "ok", scan.text
    return event, holder, waiting


async def _seats(client, event_id):
    from events.tables import Event

    return (
        await Event.select(Event.confirmed, Event.checked_in, Event.waiting)
        .where(Event.id == event_id)
        .first()
    )


async def test_a_checked_in_ticket_cannot_be_cancelled_by_its_holder(client, make_event, token_for):
    event, holder, waiting = await _checked_in_holder_and_waiting(client, make_event, token_for)
    before = await _seats(client, event["id"])
    refused = await client.post(f"/api/v1/tickets/{holder['ticket_token']}/cancel")
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "checked_in" and refused.json()["detail"]
    # nothing moved: the seat stays taken, the counter stays, nobody is promoted into it
    assert (
        await _seats(client, event["id"])
        == before
        == {
            "confirmed": 1,
            "checked_in": 1,
            "waiting": 1,
        }
    )
    kept = (await client.get(f"/api/v1/tickets/{holder['ticket_token']}")).json()
    assert kept["status"] == "confirmed" and kept["checked_in_at"]
    still = (await client.get(f"/api/v1/tickets/{waiting['ticket_token']}")).json()
    assert (still["status"], still["waitlist_position"]) == ("waitlisted", 1)


async def test_the_ticket_page_offers_no_cancel_once_checked_in(client, make_event, token_for):
    event, holder, _waiting = await _checked_in_holder_and_waiting(client, make_event, token_for)
    token = holder["ticket_token"]
    page = await client.get(f"/t/{token}")
    assert page.status_code == 200 and f"/t/{token}/cancel" not in page.text
    confirm = await client.get(f"/t/{token}/cancel")
    assert confirm.status_code == 303 and confirm.headers["location"] == f"/t/{token}"
    csrf = client.cookies.get("csrftoken") or ""
    posted = await client.post(
        f"/t/{token}/cancel", data={"_csrf_token": csrf}, headers={"x-csrftoken": csrf}
    )
    assert posted.status_code == 409
    assert "已签到的报名不能取消" in posted.text
    assert (await client.get(f"/api/v1/tickets/{token}")).json()["status"] == "confirmed"
    assert (await _seats(client, event["id"]))["checked_in"] == 1


async def test_an_organizer_can_still_cancel_a_checked_in_ticket(client, make_event, token_for):
    from events.registration import admin
    from events.tables import AuditLog

    event, holder, waiting = await _checked_in_holder_and_waiting(client, make_event, token_for)
    cancelled = await admin.organizer_cancel(holder["id"], actor=None, reason="重复报名")
    assert cancelled["status"] == "cancelled"
    assert await _seats(client, event["id"]) == {"confirmed": 1, "checked_in": 0, "waiting": 0}
    promoted = (await client.get(f"/api/v1/tickets/{waiting['ticket_token']}")).json()
    assert promoted["status"] == "confirmed"
    entry = await AuditLog.select().where(AuditLog.action == "registration.cancel").first()
    after = json.loads(entry["after"]) if isinstance(entry["after"], str) else entry["after"]
    assert after["by"] == "organizer" and after["reason"] == "重复报名"


async def test_a_ticket_of_an_ended_event_cannot_be_cancelled_by_its_holder(client, make_event):
    from events.tables import Event

    event = await make_event(capacity=5)
    url = f"/api/v1/events/{event['id']}/registrations"
    holder = (await client.post(url, json=person(1))).json()
    ended = datetime.now().astimezone() - timedelta(minutes=1)
    await Event.update({Event.starts_at: ended - timedelta(hours=2), Event.ends_at: ended}).where(
        Event.id == event["id"]
    )
    refused = await client.post(f"/api/v1/tickets/{holder['ticket_token']}/cancel")
    assert refused.status_code == 409 and refused.json()["code"] == "ended"
    assert (await client.get(f"/api/v1/tickets/{holder['ticket_token']}")).json()[
        "status"
    ] == "confirmed"
