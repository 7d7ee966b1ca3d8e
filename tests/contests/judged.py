"""A contest with entries, closed, judges assigned and scores given (for the organizer's pages
and the exports): built through the API as an organizer, judges and guardians would."""

from __future__ import annotations

from datetime import timedelta

from events.core.timeutil import iso, now
from tests.conftest import make_user
from tests.contests.helpers import contest_body, make_contest, photo, submit


async def close(client, make_event, event, **change):
    """Move the close into the past (the configuration may change until publication)."""
    body = contest_body(submissions_close_at=iso(now() - timedelta(seconds=1)), **change)
    response = await client.put(
        f"/api/v1/events/{event['id']}/contest", json=body, headers=make_event.headers
    )
    assert response.status_code == 200, response.text


async def judges(client, n):
    """n judges: [(username, bearer headers)]."""
    out = []
    for _index in range(n):
        user = await make_user("judge")
        response = await client.post(
            "/api/v1/auth/login", json={"username": user["username"], "password": "password-123"}
        )
        assert response.status_code == 200, response.text
        out.append((user["username"], {"Authorization": f"Bearer {response.json()['token']}"}))
    return out


async def with_entries(client, make_event, n=6, **change):
    """A contest with n entries, grades alternating 2 (group low) and 5 (group mid)."""
    event = await make_contest(client, make_event, **change)
    created = []
    for i in range(1, n + 1):
        grade = "2" if i % 2 else "5"
        response = await submit(
            client, event["id"], i, image=photo(i, size=(900, 700)), grade=grade
        )
        assert response.status_code == 201, response.text
        created.append(response.json())
    return event, created


async def assign(client, make_event, event, names):
    response = await client.post(
        f"/api/v1/events/{event['id']}/judging/assign",
        json={"judges": names},
        headers=make_event.headers,
    )
    assert response.status_code == 200, response.text
    return response.json()["assignments"]


def scores_for(entry_id: int, severity: int) -> dict[str, int]:
    quality = entry_id % 5
    return {
        code: max(1, min(10, 3 + quality + severity + i))
        for i, code in enumerate(("idea", "art", "neat"))
    }


async def score_all(client, assignments, heads, skip=()):
    """Every judge scores every entry assigned to them (except the entry ids in `skip`); a
    harsh, a fair and a lenient judge. Returns {(username, entry_id): scores}."""
    severity = {name: (-2, 0, 2)[index % 3] for index, name in enumerate(heads)}
    given = {}
    for item in assignments:
        if item["entry_id"] in skip:
            continue
        for name in item["judges"]:
            scores = scores_for(item["entry_id"], severity[name])
            response = await client.put(
                f"/api/v1/judging/entries/{item['entry_id']}/scores",
                json={"scores": scores},
                headers=heads[name],
            )
            assert response.status_code == 200, response.text
            given[(name, item["entry_id"])] = scores
    return given


async def judged(client, make_event, n=6, skip_first=False, **change):
    """(event, created entries, {username: headers}, scores given), judging done."""
    event, created = await with_entries(client, make_event, n=n, **change)
    await close(client, make_event, event, **change)
    heads = dict(await judges(client, 3))
    assignments = await assign(client, make_event, event, list(heads))
    skip = {created[0]["id"]} if skip_first else set()
    given = await score_all(client, assignments, heads, skip=skip)
    return event, created, heads, given
