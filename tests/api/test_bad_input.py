"""No input, however malformed, produces a 5xx; errors keep the contract's shape."""

import pytest

from tests.api.test_events import event_body

GARBAGE_BODIES = [
    b"",
    b"null",
    b"[]",
    b"123",
    b'"text"',
    b"{",
    b"\xff\xfe\x00garbage",
    b'{"title": "\\ud800"}',
    b'{"capacity": 100000000000000000000000000000}',
    b'{"starts_at": "2026-02-30T25:61:00"}',
    b'{"kind": ["lecture"]}',
    b'{"title": {"$gt": ""}}',
]


@pytest.mark.parametrize("body", GARBAGE_BODIES)
async def test_garbage_event_bodies_are_4xx(client, token_for, body):
    organizer = await token_for("organizer")
    headers = {**organizer, "Content-Type": "application/json"}
    created = await client.post("/api/v1/events", content=body, headers=headers)
    assert 400 <= created.status_code < 500, (body, created.text)
    assert set(created.json()) >= {"code", "detail"}
    good = await client.post("/api/v1/events", json=event_body(), headers=organizer)
    patched = await client.patch(
        f"/api/v1/events/{good.json()['id']}", content=body, headers=headers
    )
    assert 400 <= patched.status_code < 500, (body, patched.text)
    # Nothing stored was changed by the bad request.
    after = await client.get(f"/api/v1/events/{good.json()['id']}")
    assert after.json()["title"] == event_body()["title"]


@pytest.mark.parametrize(
    "change",
    [
        {"capacity": 10**30},
        {"capacity": 1.5},
        {"capacity": True},
        {"max_party_size": -1},
        {"starts_at": "2026-13-01T10:00:00"},
        {"registration_closes_at": "2000-01-01T00:00:00+08:00"},
        {"title": "\u0000"},
        {"venue": "x" * 5000},
    ],
)
async def test_odd_values_are_422(client, token_for, change):
    organizer = await token_for("organizer")
    response = await client.post("/api/v1/events", json=event_body(**change), headers=organizer)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid"


async def test_wrong_content_type_and_methods(client, token_for):
    organizer = await token_for("organizer")
    form = await client.post("/api/v1/events", data={"title": "x"}, headers=organizer)
    assert 400 <= form.status_code < 500
    assert (await client.delete("/api/v1/events")).status_code == 405
    assert (await client.put("/api/v1/events/1", json={})).status_code == 405


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "Basic abc",
        "Bearer " + "x" * 5000,
        "Bearer \u00e9\u00e9",
        "Token a b c",
    ],
)
async def test_malformed_authorization_headers_are_401(client, header):
    response = await client.post(
        "/api/v1/events", json=event_body(), headers={"Authorization": header.encode("utf-8")}
    )
    assert response.status_code == 401, response.text


async def test_sql_in_text_is_stored_as_text(client, token_for):
    organizer = await token_for("organizer")
    title = "'; DROP TABLE event; --"
    created = await client.post("/api/v1/events", json=event_body(title=title), headers=organizer)
    assert created.status_code == 201
    assert (await client.get(f"/api/v1/events/{created.json()['id']}")).json()["title"] == title
    assert len((await client.get("/api/v1/events")).json()["items"]) == 1
