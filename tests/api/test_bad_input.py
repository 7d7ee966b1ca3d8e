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


@pytest.mark.parametrize(
    ("path", "role", "body"),
    [
        ("/api/v1/auth/login", None, b'{"username": "\xff\xfe", "password": "x"}'),
        ("/api/v1/events/{event}/registrations", None, b'{"name": "\xc3\x28", "phone": "1"}'),
        ("/api/v1/checkins", "staff", b'{"qr": "\xff", "event_id": {event}}'),
        ("/api/v1/events", "organizer", b'{"title": "\xe4\xb8"}'),
    ],
)
async def test_json_strings_that_are_not_utf8_are_422(
    client, token_for, make_event, path, role, body
):
    event = await make_event()
    headers = {"Content-Type": "application/json", **(await token_for(role) if role else {})}
    content = body.replace(b"{event}", str(event["id"]).encode())
    response = await client.post(path.format(event=event["id"]), content=content, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid"


async def test_goals_body_that_is_not_utf8_is_422(client, token_for):
    admin = await token_for("admin")
    headers = {**admin, "Content-Type": "application/json"}
    response = await client.put("/api/v1/goals/2026", content=b'{"goals": "\xff"}', headers=headers)
    assert response.status_code == 422, response.text


@pytest.mark.parametrize(
    "change",
    [
        {"starts_at": "0001-01-01T00:00:00+08:00"},
        {"starts_at": "0001-01-01T00:00:00-12:00"},
        {"ends_at": "9999-12-31T23:59:59-12:00"},
        {"registration_opens_at": "0001-01-01T07:00:00+08:00"},
        {"starts_at": "1999-12-31T10:00:00+08:00"},
        {"ends_at": "2101-01-01T10:00:00+08:00"},
    ],
)
async def test_times_outside_the_product_years_are_422(client, make_event, change):
    response = await client.post(
        "/api/v1/events", json=event_body(**change), headers=make_event.headers
    )
    assert response.status_code == 422, response.text
    [field] = change
    assert "2000" in response.json()["fields"][field]
    event = await make_event()
    patched = await client.patch(
        f"/api/v1/events/{event['id']}", json=change, headers=make_event.headers
    )
    assert patched.status_code == 422, patched.text
    after = (await client.get(f"/api/v1/events/{event['id']}")).json()
    assert after == event


async def test_registration_cannot_open_after_the_event_ends(client, make_event):
    event = await make_event()
    response = await client.patch(
        f"/api/v1/events/{event['id']}",
        json={"registration_opens_at": "2100-01-01T00:00:00+08:00"},
        headers=make_event.headers,
    )
    assert response.status_code == 422, response.text
    assert "registration_opens_at" in response.json()["fields"]


@pytest.mark.parametrize(
    "query",
    [
        "from=0001-01-01T00:00:00",
        "to=0001-01-01T00:00:00",
        "from=0001-01-01T00:00:00%2B14:00",
        "to=9999-12-31T23:59:59-12:00",
    ],
)
async def test_list_filters_far_in_time_are_clamped(client, make_event, query):
    await make_event()
    response = await client.get(f"/api/v1/events?{query}")
    assert response.status_code == 200, response.text
    expected = 0 if query.startswith("to=0001") else 1
    assert len(response.json()["items"]) == expected


async def test_offset_beyond_any_list_is_422(client):
    response = await client.get("/api/v1/events?offset=9223372036854775808")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"


@pytest.mark.parametrize(
    "tail", ["99999999999999999999", "2147483648", "１２３", "%EF%BC%91", "1%20", "%201"]
)
async def test_ids_that_are_no_ids_of_ours_are_404(client, make_event, tail):
    await make_event()
    response = await client.get(f"/api/v1/events/{tail}")
    assert response.status_code == 404, response.text
    assert response.json()["code"] == "not_found"
    patched = await client.patch(
        f"/api/v1/events/{tail}", json={"title": "x"}, headers=make_event.headers
    )
    assert patched.status_code == 404, patched.text


async def test_a_nul_in_a_path_is_404_not_500(client):
    assert (await client.get("/static/%00")).status_code == 404
    assert (await client.get("/api/v1/events/1%00")).status_code == 404


async def test_answers_with_control_characters_are_422(client, make_event):
    from events.registration import admin as registration_admin
    from events.tables import Question

    event = await make_event()
    await registration_admin.set_questions(
        event["id"], [{"label": "单位", "kind": "text", "options": [], "required": False}], None
    )
    [question] = await Question.select(Question.id).where(Question.event == event["id"])
    body = {"name": "甲", "phone": "13800000001", "answers": {str(question["id"]): "a\u0000b"}}
    response = await client.post(f"/api/v1/events/{event['id']}/registrations", json=body)
    assert response.status_code == 422, response.text
