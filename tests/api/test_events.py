"""/api/v1/events as the contract says, including the 401, 403, 404 and 422 cases."""

from datetime import datetime, timedelta

import pytest

from events.core.timeutil import TZ


def future(days=10, hour=14):
    start = datetime.now(TZ).replace(hour=hour, minute=0, second=0, microsecond=0) + timedelta(
        days=days
    )
    return start


def event_body(**change):
    start = future()
    body = {
        "title": "快墅转·生物医药成果对接会",
        "kind": "matching",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
        "venue": "杭州（拱墅）新质成果转化中心",
        "capacity": 60,
    }
    body.update(change)
    return body


@pytest.fixture
async def organizer(token_for):
    return await token_for("organizer")


async def test_create_event_returns_201_with_the_event(client, organizer):
    response = await client.post(
        "/api/v1/events", json=event_body(series="快墅转"), headers=organizer
    )
    assert response.status_code == 201, response.text
    event = response.json()
    for key in (
        "id",
        "title",
        "kind",
        "series",
        "starts_at",
        "ends_at",
        "venue",
        "street",
        "capacity",
        "confirmed",
        "waitlisted",
        "seats_left",
        "status",
    ):
        assert key in event
    assert event["status"] == "published"
    assert event["confirmed"] == 0 and event["seats_left"] == 60
    assert event["starts_at"].endswith("+08:00")
    assert event["registration_closes_at"] == event["ends_at"]
    assert event["max_party_size"] == 1 and event["waitlist"] is True


async def test_time_without_offset_is_shanghai(client, organizer):
    body = event_body(starts_at="2031-03-12T14:00:00", ends_at="2031-03-12T16:00:00")
    event = (await client.post("/api/v1/events", json=body, headers=organizer)).json()
    assert event["starts_at"] == "2031-03-12T14:00:00+08:00"
    utc = event_body(starts_at="2031-03-12T06:00:00Z", ends_at="2031-03-12T08:00:00+00:00")
    event = (await client.post("/api/v1/events", json=utc, headers=organizer)).json()
    assert event["starts_at"] == "2031-03-12T14:00:00+08:00"


async def test_create_needs_login_and_role(client, token_for):
    assert (await client.post("/api/v1/events", json=event_body())).status_code == 401
    staff = await token_for("staff")
    response = await client.post("/api/v1/events", json=event_body(), headers=staff)
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    admin = await token_for("admin")
    assert (
        await client.post("/api/v1/events", json=event_body(), headers=admin)
    ).status_code == 201


@pytest.mark.parametrize(
    "change",
    [
        {"kind": "party"},
        {"capacity": 0},
        {"capacity": -5},
        {"capacity": "many"},
        {"title": ""},
        {"title": "x" * 201},
        {"venue": None},
        {"starts_at": "yesterday"},
        {"max_party_size": 0},
        {"max_party_size": 100},
        {"status": "cancelled"},
        {"waitlist": "perhaps"},
    ],
)
async def test_bad_event_fields_are_422(client, organizer, change):
    response = await client.post("/api/v1/events", json=event_body(**change), headers=organizer)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid"
    assert response.json()["detail"]


async def test_end_before_start_is_422(client, organizer):
    start = future()
    body = event_body(ends_at=(start - timedelta(hours=1)).isoformat())
    response = await client.post("/api/v1/events", json=body, headers=organizer)
    assert response.status_code == 422
    assert "ends_at" in response.json()["detail"]


async def test_missing_fields_and_malformed_json_are_422(client, organizer):
    body = event_body()
    del body["venue"]
    assert (await client.post("/api/v1/events", json=body, headers=organizer)).status_code == 422
    response = await client.post(
        "/api/v1/events",
        content=b'{"title": "x", ',
        headers={**organizer, "Content-Type": "application/json"},
    )
    assert response.status_code == 422 and response.json()["code"] == "invalid"


async def test_a_12_megabyte_body_is_413_too_large(client, organizer):
    payload = b'{"title": "' + b"x" * (12 * 1024 * 1024) + b'"}'
    response = await client.post(
        "/api/v1/events",
        content=payload,
        headers={**organizer, "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


async def test_list_shows_published_upcoming_only(client, organizer):
    await client.post("/api/v1/events", json=event_body(title="公开"), headers=organizer)
    await client.post(
        "/api/v1/events", json=event_body(title="草稿", status="draft"), headers=organizer
    )
    past_start = future(days=-10)
    await client.post(
        "/api/v1/events",
        json=event_body(
            title="往期",
            starts_at=past_start.isoformat(),
            ends_at=(past_start + timedelta(hours=2)).isoformat(),
        ),
        headers=organizer,
    )
    titles = [e["title"] for e in (await client.get("/api/v1/events")).json()["items"]]
    assert titles == ["公开"]
    with_past = (await client.get("/api/v1/events", params={"past": "true"})).json()["items"]
    assert {e["title"] for e in with_past} == {"公开", "往期"}


async def test_list_filters_by_kind_and_start_time(client, organizer):
    await client.post(
        "/api/v1/events", json=event_body(title="A", kind="lecture"), headers=organizer
    )
    later = future(days=40)
    await client.post(
        "/api/v1/events",
        json=event_body(
            title="B",
            kind="policy",
            starts_at=later.isoformat(),
            ends_at=(later + timedelta(hours=1)).isoformat(),
        ),
        headers=organizer,
    )
    lectures = (await client.get("/api/v1/events", params={"kind": "lecture"})).json()["items"]
    assert [e["title"] for e in lectures] == ["A"]
    cut = future(days=20).isoformat()
    early = (await client.get("/api/v1/events", params={"to": cut})).json()["items"]
    late = (await client.get("/api/v1/events", params={"from": cut})).json()["items"]
    assert [e["title"] for e in early] == ["A"] and [e["title"] for e in late] == ["B"]
    bad = await client.get("/api/v1/events", params={"kind": "party"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid"
    bad_time = await client.get("/api/v1/events", params={"from": "soon"})
    assert bad_time.status_code == 422


async def test_get_event_and_drafts_hidden_from_the_public(client, organizer):
    draft = (
        await client.post("/api/v1/events", json=event_body(status="draft"), headers=organizer)
    ).json()
    assert (await client.get(f"/api/v1/events/{draft['id']}")).status_code == 404
    assert (await client.get(f"/api/v1/events/{draft['id']}", headers=organizer)).status_code == 200
    missing = await client.get("/api/v1/events/999999")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    assert (await client.get("/api/v1/events/abc")).status_code in (404, 422)


async def test_patch_publishes_edits_and_cancels(client, organizer):
    draft = (
        await client.post("/api/v1/events", json=event_body(status="draft"), headers=organizer)
    ).json()
    url = f"/api/v1/events/{draft['id']}"
    published = await client.patch(url, json={"status": "published"}, headers=organizer)
    assert published.status_code == 200 and published.json()["status"] == "published"
    edited = await client.patch(url, json={"title": "新标题", "capacity": 80}, headers=organizer)
    assert edited.json()["title"] == "新标题" and edited.json()["seats_left"] == 80
    cancelled = await client.patch(url, json={"status": "cancelled"}, headers=organizer)
    assert cancelled.json()["status"] == "cancelled"
    again = await client.patch(url, json={"status": "published"}, headers=organizer)
    assert again.status_code == 409


async def test_patch_rejects_bad_changes(client, organizer, token_for):
    event = (await client.post("/api/v1/events", json=event_body(), headers=organizer)).json()
    url = f"/api/v1/events/{event['id']}"
    assert (await client.patch(url, json={"capacity": 0}, headers=organizer)).status_code == 422
    start = datetime.fromisoformat(event["starts_at"])
    before_start = (start - timedelta(hours=1)).isoformat()
    response = await client.patch(url, json={"ends_at": before_start}, headers=organizer)
    assert response.status_code == 422
    assert (
        await client.patch(url, json={"status": "deleted"}, headers=organizer)
    ).status_code == 422
    assert (await client.patch(url, json={"title": "x"})).status_code == 401
    judge = await token_for("judge")
    assert (await client.patch(url, json={"title": "x"}, headers=judge)).status_code == 403
    assert (
        await client.patch("/api/v1/events/424242", json={"title": "x"}, headers=organizer)
    ).status_code == 404


async def test_capacity_below_confirmed_is_409(client, organizer):
    from events.tables import Event

    event = (await client.post("/api/v1/events", json=event_body(), headers=organizer)).json()
    await Event.update({Event.confirmed: 30}).where(Event.id == event["id"])
    url = f"/api/v1/events/{event['id']}"
    response = await client.patch(url, json={"capacity": 20}, headers=organizer)
    assert response.status_code == 409
    assert response.json()["code"] == "capacity_below_confirmed"
    assert (await client.patch(url, json={"capacity": 30}, headers=organizer)).status_code == 200


async def test_duplicate_is_next_session_as_draft(client, organizer):
    event = (
        await client.post("/api/v1/events", json=event_body(series="快墅转"), headers=organizer)
    ).json()
    copy = await client.post(
        f"/api/v1/events/{event['id']}/duplicate", json={"days": 7}, headers=organizer
    )
    assert copy.status_code == 201
    new = copy.json()
    assert new["status"] == "draft" and new["series"] == "快墅转" and new["id"] != event["id"]
    delta = datetime.fromisoformat(new["starts_at"]) - datetime.fromisoformat(event["starts_at"])
    assert delta == timedelta(days=7)


async def test_every_organizer_action_is_audited(client, organizer):
    from events.tables import AuditLog

    event = (await client.post("/api/v1/events", json=event_body(), headers=organizer)).json()
    await client.patch(f"/api/v1/events/{event['id']}", json={"capacity": 99}, headers=organizer)
    await client.patch(
        f"/api/v1/events/{event['id']}", json={"status": "cancelled"}, headers=organizer
    )
    rows = await AuditLog.select().where(AuditLog.object_id == event["id"]).order_by(AuditLog.id)
    rows = [r for r in rows if r["object_type"] == "event"]
    assert [r["action"] for r in rows] == ["event.create", "event.update", "event.cancel"]
    assert rows[1]["before"] == {"capacity": 60} or rows[1]["before"] == '{"capacity": 60}'
    assert all(r["actor_name"].startswith("organizer") for r in rows)


async def test_healthz_and_openapi(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    schema = (await client.get("/schema/openapi.json")).json()
    paths = schema["paths"]
    for path in ("/api/v1/auth/login", "/api/v1/events", "/api/v1/events/{event_id}"):
        assert path in paths
    assert not any(p.startswith("/manage") for p in paths)


async def test_ids_out_of_range_are_404_not_500(client, organizer):
    for path in (
        "/api/v1/events/99999999999999999999",
        "/api/v1/events/0",
        "/events/99999999999999999999",
    ):
        assert (await client.get(path)).status_code == 404, path
    response = await client.patch(
        "/api/v1/events/99999999999999999999", json={"title": "x"}, headers=organizer
    )
    assert response.status_code == 404


async def _event_at(client, organizer, title, start, **change):
    body = event_body(
        title=title,
        starts_at=start.isoformat(),
        ends_at=(start + timedelta(hours=2)).isoformat(),
        **change,
    )
    response = await client.post("/api/v1/events", json=body, headers=organizer)
    assert response.status_code == 201, response.text
    return response.json()


async def _titles(client, **params):
    response = await client.get("/api/v1/events", params=params)
    assert response.status_code == 200, response.text
    return [e["title"] for e in response.json()["items"]]


async def test_list_from_in_the_past_lists_past_events_too(client, organizer):
    await _event_at(client, organizer, "往期", future(days=-10))
    await _event_at(client, organizer, "往期草稿", future(days=-9), status="draft")
    await _event_at(client, organizer, "即将", future(days=10))
    since = future(days=-20).isoformat()
    assert await _titles(client, **{"from": since}) == ["往期", "即将"]
    assert await _titles(client, **{"from": since, "kind": "lecture"}) == []


async def test_list_to_only_lists_past_events_up_to_to(client, organizer):
    await _event_at(client, organizer, "十天前", future(days=-10))
    await _event_at(client, organizer, "三天前", future(days=-3))
    await _event_at(client, organizer, "十天后", future(days=10))
    assert await _titles(client, to=future(days=-5).isoformat()) == ["十天前"]
    assert await _titles(client, to=future(days=20).isoformat()) == ["十天前", "三天前", "十天后"]


async def test_list_without_from_or_to_shows_only_events_not_yet_ended(client, organizer):
    await _event_at(client, organizer, "已结束", datetime.now(TZ) - timedelta(hours=3))
    await _event_at(client, organizer, "进行中", datetime.now(TZ) - timedelta(hours=1))
    await _event_at(client, organizer, "即将", future(days=2))
    assert await _titles(client) == ["进行中", "即将"]


async def test_list_from_and_to_both_include_an_event_starting_on_the_bound(client, organizer):
    # The contract names the filters "on the start time" without saying more; both bounds
    # are kept inclusive (from ≤ starts_at ≤ to), as they were before the default was fixed.
    first, last = future(days=-6), future(days=-4)
    await _event_at(client, organizer, "早一秒", first - timedelta(seconds=1))
    await _event_at(client, organizer, "起点", first)
    await _event_at(client, organizer, "终点", last)
    await _event_at(client, organizer, "晚一秒", last + timedelta(seconds=1))
    window = {"from": first.isoformat(), "to": last.isoformat()}
    assert await _titles(client, **window) == ["起点", "终点"]


@pytest.mark.parametrize(
    "params", [{"from": "soon"}, {"to": "2026-13-01T00:00:00"}, {"from": "", "to": "x"}]
)
async def test_list_bad_from_or_to_is_422(client, params):
    response = await client.get("/api/v1/events", params=params)
    assert response.status_code == 422 and response.json()["code"] == "invalid"
