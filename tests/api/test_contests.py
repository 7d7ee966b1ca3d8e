"""The contract's contest entry endpoints, with every error code, on both databases."""

import io
import re
from datetime import timedelta

from PIL import Image

from events.contests.tables import Entry
from events.core.timeutil import iso, now
from events.tables import OutboxMessage
from tests.contests.helpers import (
    PERSONAL,
    contest_body,
    entry_fields,
    make_contest,
    photo,
    submit,
)
from tests.contests.test_images import decompression_bomb, oversized_text_chunk


async def test_configuration_is_404_until_set_then_reads_back(client, make_event):
    event = await make_event(kind="contest", capacity=500)
    url = f"/api/v1/events/{event['id']}/contest"
    missing = await client.get(url)
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    put = await client.put(url, json=contest_body(), headers=make_event.headers)
    assert put.status_code == 200, put.text
    got = (await client.get(url)).json()
    assert [g["code"] for g in got["groups"]] == ["low", "mid", "high"]
    assert got["judges_per_entry"] == 3 and got["selection_share"] == 0.2
    assert got["max_entries_per_child"] == 1 and got["gallery"] is True
    assert got["submissions_close_at"].endswith("+08:00")


async def test_configuration_defaults_and_naive_times_are_shanghai(client, make_event):
    event = await make_event(kind="contest")
    body = contest_body(
        submissions_open_at="2026-03-01T08:00:00", submissions_close_at="2026-04-01T18:00:00"
    )
    for key in ("judges_per_entry", "selection_share", "max_entries_per_child", "gallery"):
        body.pop(key)
    response = await client.put(
        f"/api/v1/events/{event['id']}/contest", json=body, headers=make_event.headers
    )
    assert response.status_code == 200, response.text
    got = response.json()
    assert got["submissions_open_at"] == "2026-03-01T08:00:00+08:00"
    assert (got["judges_per_entry"], got["selection_share"]) == (3, 0.2)
    assert (got["max_entries_per_child"], got["gallery"]) == (1, True)


async def test_configuration_errors(client, make_event, token_for):
    contest = await make_event(kind="contest")
    lecture = await make_event(kind="lecture")
    url = f"/api/v1/events/{contest['id']}/contest"
    headers = make_event.headers

    async def put(body, target=url, who=headers):
        return await client.put(target, json=body, headers=who)

    not_contest = await put(contest_body(), f"/api/v1/events/{lecture['id']}/contest")
    assert not_contest.status_code == 404 and not_contest.json()["code"] == "not_found"
    overlap = contest_body(
        groups=[
            {"code": "a", "name": "低", "min_grade": 1, "max_grade": 4},
            {"code": "b", "name": "高", "min_grade": 4, "max_grade": 6},
        ]
    )
    bad = [
        overlap,
        contest_body(submissions_close_at=iso(now() - timedelta(days=3))),
        contest_body(selection_share=1.5),
        contest_body(judges_per_entry=0),
        contest_body(criteria=[{"code": "x", "name": "x", "weight": 0}]),
        contest_body(groups=[{"code": "a", "name": "a", "min_grade": 0, "max_grade": 13}]),
        contest_body(groups=[]),
        {"groups": "nope"},
    ]
    for body in bad:
        response = await put(body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["code"] == "invalid"
    assert (await client.get(url)).status_code == 404  # nothing stored
    assert (await client.put(url, json=contest_body())).status_code == 401
    staff = await token_for("staff")
    assert (await put(contest_body(), who=staff)).status_code == 403


async def test_submit_returns_code_token_and_group(client, make_event):
    event = await make_contest(client, make_event)
    response = await submit(client, event["id"], 1)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "submitted" and body["group"] == "low"
    assert re.fullmatch(r"[A-Z]-\d{4}", body["code"])
    assert len(body["entry_token"]) >= 24
    assert body["entry_url"].endswith(f"/e/{body['entry_token']}")
    for word in PERSONAL:
        assert word not in body["code"]
    second = (await submit(client, event["id"], 2, grade="8")).json()
    assert second["group"] == "high" and second["code"] != body["code"]


async def test_entry_lookup_and_the_cleaned_image(client, make_event):
    event = await make_contest(client, make_event)
    created = (await submit(client, event["id"], 1, image=photo(1, size=(2000, 1500)))).json()
    entry = (await client.get(f"/api/v1/entries/{created['entry_token']}")).json()
    assert entry["id"] == created["id"] and entry["event_id"] == event["id"]
    assert entry["code"] == created["code"] and entry["group"] == "low"
    assert entry["title"] == "我的家乡1" and entry["status"] == "submitted"
    assert entry["award"] is None and entry["submitted_at"].endswith("+08:00")
    image = await client.get(entry["image_url"].replace("http://testserver.local", ""))
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    stored = Image.open(io.BytesIO(image.content))
    assert not stored.getexif() and "exif" not in stored.info
    thumb = await client.get(entry["thumbnail_url"].replace("http://testserver.local", ""))
    small = Image.open(io.BytesIO(thumb.content))
    assert small.format == "JPEG" and max(small.size) <= 480
    assert (await client.get("/api/v1/entries/not-a-real-token-at-all")).status_code == 404


async def test_limit_per_child_counts_withdrawn_ones_out(client, make_event):
    event = await make_contest(client, make_event)
    first = (await submit(client, event["id"], 1)).json()
    again = await submit(client, event["id"], 1, image=photo(99))
    assert again.status_code == 409 and again.json()["code"] == "limit_reached"
    sibling = await submit(client, event["id"], 1, image=photo(98), child_name="王小红")
    assert sibling.status_code == 201  # another child of the same guardian
    withdrawn = await client.post(f"/api/v1/entries/{first['entry_token']}/withdraw")
    assert withdrawn.status_code == 200 and withdrawn.json() == {"status": "withdrawn"}
    assert (await submit(client, event["id"], 1, image=photo(97))).status_code == 201


async def test_closed_outside_the_window(client, make_event):
    early = await make_contest(
        client,
        make_event,
        submissions_open_at=iso(now() + timedelta(days=1)),
        submissions_close_at=iso(now() + timedelta(days=5)),
    )
    response = await submit(client, early["id"], 1)
    assert response.status_code == 409 and response.json()["code"] == "closed"
    late = await make_contest(
        client,
        make_event,
        submissions_open_at=iso(now() - timedelta(days=5)),
        submissions_close_at=iso(now() - timedelta(days=1)),
    )
    assert (await submit(client, late["id"], 1)).json()["code"] == "closed"


async def test_withdraw_after_the_close_is_closed(client, make_event):
    event = await make_contest(client, make_event)
    created = (await submit(client, event["id"], 1)).json()
    moved = contest_body(submissions_close_at=iso(now() - timedelta(seconds=1)))
    await client.put(
        f"/api/v1/events/{event['id']}/contest", json=moved, headers=make_event.headers
    )
    late = await client.post(f"/api/v1/entries/{created['entry_token']}/withdraw")
    assert late.status_code == 409 and late.json()["code"] == "closed"


async def test_bad_uploads_are_refused_and_nothing_stored_is_touched(client, make_event):
    event = await make_contest(
        client,
        make_event,
        groups=[
            {"code": "low", "name": "小学组", "min_grade": 1, "max_grade": 6},
        ],
    )
    kept = (await submit(client, event["id"], 1)).json()
    before = await client.get(f"/api/v1/entries/{kept['entry_token']}")

    small = photo(5, size=(400, 300))
    truncated = photo(6, size=(1200, 900))[:20_000]
    text = "这不是图片".encode() * 100
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="2000" height="2000"><rect/></svg>'
    cases = {
        "text named .jpg": ({}, text),
        "300 px": ({}, photo(4, size=(400, 300))),
        "too small": ({}, small),
        "truncated": ({}, truncated),
        "svg": ({}, svg),
        "decompression bomb": ({}, decompression_bomb()),
        "png with an oversized text chunk": ({}, oversized_text_chunk(itxt=False)),
        "no consent": ({"consent": "false"}, None),
        "consent missing": ({"consent": None}, None),
        "grade in no group": ({"grade": "9"}, None),
        "grade out of range": ({"grade": "13"}, None),
        "phone of the wrong length": ({"guardian_phone": "1390000000"}, None),
        "missing child name": ({"child_name": None}, None),
        "statement too long": ({"statement": "长" * 501}, None),
    }
    for n, (label, (change, image)) in enumerate(cases.items(), start=10):
        response = await submit(client, event["id"], n, image=image, **change)
        assert response.status_code == 422, (label, response.status_code, response.text)
        body = response.json()
        assert body["code"] == "invalid" and body["detail"], label
    no_file = await client.post(
        f"/api/v1/events/{event['id']}/entries", data=entry_fields(40), files={}
    )
    assert no_file.status_code == 422
    huge = await submit(client, event["id"], 41, image=b"\xff\xd8" + b"0" * (21 * 1024 * 1024))
    assert huge.status_code == 413 and huge.json()["code"] == "too_large"
    missing = await submit(client, 999999, 42)
    assert missing.status_code == 404
    assert await Entry.count() == 1
    after = await client.get(f"/api/v1/entries/{kept['entry_token']}")
    assert after.json() == before.json()
    image = await client.get(after.json()["image_url"].replace("http://testserver.local", ""))
    assert image.status_code == 200


async def test_a_guardian_is_told_the_entry_arrived(client, make_event):
    event = await make_contest(client, make_event)
    created = (await submit(client, event["id"], 1)).json()
    rows = await OutboxMessage.select(OutboxMessage.kind, OutboxMessage.recipient).where(
        (OutboxMessage.subject_type == "contest_entry")
        & (OutboxMessage.subject_id == created["id"])
    )
    assert rows == [{"kind": "entry_received", "recipient": "13900000001"}]


async def test_openapi_covers_every_api_route_including_contests(client, app):
    schema = (await client.get("/schema/openapi.json")).json()
    documented = set(schema["paths"])
    routes = {
        route.path.replace(":int}", "}").replace(":str}", "}")
        for route in app.routes
        if route.path.startswith("/api/v1")
    }
    routes = {re.sub(r"\{(\w+):\w+\}", r"{\1}", path) for path in routes}
    assert routes <= documented, sorted(routes - documented)
    for path in (
        "/api/v1/events/{event_id}/contest",
        "/api/v1/events/{event_id}/entries",
        "/api/v1/entries/{entry_token}",
        "/api/v1/judging/queue",
        "/api/v1/events/{event_id}/results/compute",
    ):
        assert path in documented, path
    upload = schema["paths"]["/api/v1/events/{event_id}/entries"]["post"]["requestBody"]
    assert "multipart/form-data" in upload["content"]
    assert not any(p.startswith("/media") for p in documented)


async def test_a_picture_submitted_again_is_flagged_even_resaved_and_resized(client, make_event):
    event = await make_contest(client, make_event)
    first = (await submit(client, event["id"], 1, image=photo(7, size=(2000, 1500)))).json()
    original = Image.open(io.BytesIO(photo(7, size=(2000, 1500))))
    smaller = io.BytesIO()
    original.resize((1000, 750)).save(smaller, "JPEG", quality=60)
    again = (await submit(client, event["id"], 2, image=smaller.getvalue())).json()
    other = (await submit(client, event["id"], 3, image=photo(8, size=(2000, 1500)))).json()
    listed = await client.get(f"/api/v1/events/{event['id']}/entries", headers=make_event.headers)
    assert listed.status_code == 200
    by_id = {item["id"]: item for item in listed.json()["items"]}
    assert by_id[first["id"]]["duplicate_of"] is None
    assert by_id[again["id"]]["duplicate_of"] == first["id"]
    assert by_id[other["id"]]["duplicate_of"] is None
    assert by_id[first["id"]]["guardian_phone"] == "139****0001"
    assert by_id[first["id"]]["child_name"] == "王小明1"
    assert (await client.get(f"/api/v1/events/{event['id']}/entries")).status_code == 401
