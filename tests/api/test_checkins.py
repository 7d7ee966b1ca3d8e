"""The contract's check-in endpoint on both databases: results, precedence, nonces, races."""

import asyncio
import base64

import pytest

from events.door import tickets
from events.registration import registration as reg


def person(n, **extra):
    return {"name": f"签到{n}", "phone": f"137{n:08d}", **extra}


@pytest.fixture
async def door(token_for):
    return await token_for("staff")


async def _ticket(client, event_id, n, **extra):
    created = await client.post(f"/api/v1/events/{event_id}/registrations", json=person(n, **extra))
    assert created.status_code == 201, created.text
    body = created.json()
    ticket = (await client.get(f"/api/v1/tickets/{body['ticket_token']}")).json()
    return {**body, "qr": ticket["qr"]}


async def scan(client, headers, event_id, qr=None, **extra):
    body = {"event_id": event_id, **({"qr": qr} if qr is not None else {}), **extra}
    response = await client.post("/api/v1/checkins", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_ok_then_duplicate_with_the_first_time(client, make_event, door):
    event = await make_event(capacity=5, max_party_size=3)
    holder = await _ticket(client, event["id"], 1, party_size=3)
    first = await scan(client, door, event["id"], holder["qr"])
    assert first["result"] == "ok"
    assert first["registration"] == {"id": holder["id"], "name": "签到1", "party_size": 3}
    assert first["checked_in_at"].endswith("+08:00")
    again = await scan(client, door, event["id"], holder["qr"])
    assert again["result"] == "duplicate"
    assert again["checked_in_at"] == first["checked_in_at"]
    ticket = (await client.get(f"/api/v1/tickets/{holder['ticket_token']}")).json()
    assert ticket["checked_in_at"] == first["checked_in_at"]


async def test_every_result_and_their_precedence(client, make_event, door):
    event = await make_event(capacity=1)
    other = await make_event(capacity=5)
    holder = await _ticket(client, event["id"], 1)
    waiting = await _ticket(client, event["id"], 2)
    assert waiting["status"] == "waitlisted"
    waiting_ticket = await _ticket(client, other["id"], 3)
    # waitlisted: no QR is issued; the payload of a signed ticket for it is still not_confirmed
    payload = await tickets.sign(event["id"], waiting["id"])
    assert (await scan(client, door, event["id"], payload))["result"] == "not_confirmed"
    # wrong event wins over everything but invalid
    assert (await scan(client, door, other["id"], holder["qr"]))["result"] == "wrong_event"
    wrong = await scan(client, door, event["id"], waiting_ticket["qr"])
    assert wrong["result"] == "wrong_event" and wrong["registration"]["id"] == waiting_ticket["id"]
    # ...and names the event the ticket is for, so staff can send the person there
    assert wrong["event"] == {
        "id": other["id"],
        "title": other["title"],
        "starts_at": other["starts_at"],
    }
    ok_answer = await scan(client, door, event["id"], holder["qr"])
    assert "event" not in ok_answer  # only a wrong_event answer carries it
    # cancelled (the waitlisted one is promoted and becomes ok); a resident can no longer
    # cancel a ticket already checked in, an organizer can
    await reg.cancel(holder["ticket_token"], by="organizer")
    assert (await scan(client, door, event["id"], holder["qr"]))["result"] == "cancelled"
    assert (await scan(client, door, event["id"], payload))["result"] == "ok"
    # cancelled wins over duplicate
    await reg.cancel(waiting["ticket_token"], by="organizer")
    assert (await scan(client, door, event["id"], payload))["result"] == "cancelled"


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        " ",
        "https://example.com/c/abc",
        "https://weixin.qq.com/r/xyz",
        "x" * 20_000,
        "'; DROP TABLE registration; --",
        "签到🎫\u202e\u0000",
        "/c/" + "A" * 98,
    ],
)
async def test_garbage_is_invalid(client, make_event, door, garbage):
    event = await make_event()
    answer = await scan(client, door, event["id"], garbage)
    assert answer == {"result": "invalid", "registration": None, "checked_in_at": None}


async def test_truncated_extended_and_altered_payloads_are_invalid(client, make_event, door):
    event = await make_event()
    holder = await _ticket(client, event["id"], 1)
    qr = holder["qr"]
    payload = qr.rsplit("/c/", 1)[1]
    raw = bytearray(base64.urlsafe_b64decode(payload + "=="))
    variants = [qr[:-1], qr[:-4], qr + "A", qr + "AAAA", qr.replace("/c/", "/c/x")]
    for index in (0, 1, 5, 9, 40, len(raw) - 1):
        altered = bytearray(raw)
        altered[index] ^= 0x01
        variants.append(base64.urlsafe_b64encode(bytes(altered)).rstrip(b"=").decode())
    for text in variants:
        answer = await scan(client, door, event["id"], text)
        assert answer["result"] == "invalid", text
    assert (await scan(client, door, event["id"], qr))["result"] == "ok"


async def test_twenty_simultaneous_scans_give_one_ok(client, make_event, door):
    event = await make_event(capacity=5)
    holder = await _ticket(client, event["id"], 1)
    answers = await asyncio.gather(
        *(scan(client, door, event["id"], holder["qr"], device=f"d{n}") for n in range(20))
    )
    results = sorted(answer["result"] for answer in answers)
    assert results == ["duplicate"] * 19 + ["ok"]
    assert len({answer["checked_in_at"] for answer in answers}) == 1


async def test_a_nonce_retry_returns_the_first_answer(client, make_event, door):
    event = await make_event(capacity=5)
    holder = await _ticket(client, event["id"], 1)
    first = await scan(client, door, event["id"], holder["qr"], nonce="n-1")
    retry = await scan(client, door, event["id"], holder["qr"], nonce="n-1")
    assert first["result"] == retry["result"] == "ok"
    assert retry == first
    other = await scan(client, door, event["id"], holder["qr"], nonce="n-2")
    assert other["result"] == "duplicate"
    # simultaneous retries of one nonce: one scan recorded, all get the same answer
    second = await _ticket(client, event["id"], 2)
    answers = await asyncio.gather(
        *(scan(client, door, event["id"], second["qr"], nonce="n-3") for _ in range(10))
    )
    assert {answer["result"] for answer in answers} == {"ok"}
    from events.tables import CheckinScan

    assert await CheckinScan.count().where(CheckinScan.nonce == "n-3") == 1


async def test_manual_code_and_search(client, make_event, door):
    event = await make_event(capacity=5)
    holder = await _ticket(client, event["id"], 7)
    code = tickets.manual_code(holder["id"])
    wrong = code[:-1] + ("2" if code[-1] != "2" else "3")
    assert (await scan(client, door, event["id"], code=wrong))["result"] == "invalid"
    assert (await scan(client, door, event["id"], code=code.lower()))["result"] == "ok"
    found = await client.get(
        f"/api/v1/events/{event['id']}/checkin-search",
        params={"last4": "0007", "name": "签到"},
        headers=door,
    )
    assert found.status_code == 200
    assert [row["id"] for row in found.json()] == [holder["id"]]
    assert found.json()[0]["phone"] == "137****0007"
    bad = await client.get(
        f"/api/v1/events/{event['id']}/checkin-search", params={"last4": "12"}, headers=door
    )
    assert bad.status_code == 422 and bad.json()["code"] == "invalid"
    by_id = await scan(client, door, event["id"], registration_id=holder["id"])
    assert by_id["result"] == "duplicate"


async def test_offline_data_and_counts(client, make_event, door):
    event = await make_event(capacity=3, max_party_size=2)
    holder = await _ticket(client, event["id"], 1, party_size=2)
    await _ticket(client, event["id"], 2, party_size=2)  # waitlisted (3 seats, 2 + 2)
    gone = await _ticket(client, event["id"], 3)
    await client.post(f"/api/v1/tickets/{gone['ticket_token']}/cancel")
    await scan(client, door, event["id"], holder["qr"])
    data = (await client.get(f"/api/v1/events/{event['id']}/checkin-data", headers=door)).json()
    key = base64.urlsafe_b64decode(data["public_key"] + "==")
    assert key == await tickets.public_key(event["id"])
    assert [row["id"] for row in data["confirmed"]] == [holder["id"]]
    assert data["confirmed"][0]["name"] == "签*" and data["confirmed"][0]["checked_in_at"]
    assert data["revoked"] == [gone["id"]] and len(data["waitlisted"]) == 1
    assert data["counts"] == {
        "confirmed": 1,
        "confirmed_people": 2,
        "checked_in": 1,
        "checked_in_people": 2,
        "seats": 3,
    }


async def test_roles_and_bad_requests(client, make_event, door, token_for):
    event = await make_event()
    holder = await _ticket(client, event["id"], 1)
    body = {"event_id": event["id"], "qr": holder["qr"]}
    assert (await client.post("/api/v1/checkins", json=body)).status_code == 401
    judge = await token_for("judge")
    denied = await client.post("/api/v1/checkins", json=body, headers=judge)
    assert denied.status_code == 403 and denied.json()["code"] == "forbidden"
    for bad in ({}, {"qr": "x"}, {"event_id": "one", "qr": "x"}, {"event_id": event["id"]}):
        response = await client.post("/api/v1/checkins", json=bad, headers=door)
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["code"] == "invalid"
    missing = await client.post(
        "/api/v1/checkins", json={"event_id": 99999999, "qr": "x"}, headers=door
    )
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    not_text = await scan(client, door, event["id"], 12345)
    assert not_text["result"] == "invalid"
    long_nonce = await client.post(
        "/api/v1/checkins", json={**body, "nonce": "n" * 500}, headers=door
    )
    assert long_nonce.status_code == 422
