"""The contract's judging and results endpoints, with every error code, on both databases."""

import statistics

import pypdfium2
import zxingcpp

from events.tables import OutboxMessage
from tests.conftest import make_user
from tests.contests.helpers import CRITERIA, PERSONAL, contest_body
from tests.contests.judged import close, judges, with_entries

# The shared steps (tests/contests/judged.py), under the names these tests use.
judge_headers = judges
contest_with_entries = with_entries


async def test_assign_is_closed_while_submissions_are_open(client, make_event):
    event, _ = await contest_with_entries(client, make_event, n=2)
    judges = await judge_headers(client, 3)
    response = await client.post(
        f"/api/v1/events/{event['id']}/judging/assign",
        json={"judges": [name for name, _ in judges]},
        headers=make_event.headers,
    )
    assert response.status_code == 409 and response.json()["code"] == "closed"


async def test_assignment_is_balanced_and_refuses_non_judges(client, make_event, token_for):
    event, created = await contest_with_entries(client, make_event, n=10)
    withdrawn = created[-1]
    await client.post(f"/api/v1/entries/{withdrawn['entry_token']}/withdraw")
    await close(client, make_event, event)
    judges = await judge_headers(client, 4)
    names = [name for name, _ in judges]
    url = f"/api/v1/events/{event['id']}/judging/assign"
    staff = await make_user("staff")
    for wrong in (["nobody-here"], [*names[:2], staff["username"]]):
        response = await client.post(url, json={"judges": wrong}, headers=make_event.headers)
        assert response.status_code == 422 and response.json()["code"] == "invalid"
    response = await client.post(url, json={"judges": names}, headers=make_event.headers)
    assert response.status_code == 200, response.text
    assignments = response.json()["assignments"]
    assert {a["entry_id"] for a in assignments} == {c["id"] for c in created[:-1]}
    assert all(len(set(a["judges"])) == 3 and set(a["judges"]) <= set(names) for a in assignments)
    loads = {name: sum(name in a["judges"] for a in assignments) for name in names}
    assert max(loads.values()) - min(loads.values()) <= 1
    assert (await client.post(url, json={"judges": names})).status_code == 401
    judge = judges[0][1]
    assert (await client.post(url, json={"judges": names}, headers=judge)).status_code == 403


async def test_the_queue_is_blind_and_scores_are_private(client, make_event):
    event, _ = await contest_with_entries(client, make_event, n=6)
    await close(client, make_event, event)
    judges = await judge_headers(client, 3)
    await client.post(
        f"/api/v1/events/{event['id']}/judging/assign",
        json={"judges": [n for n, _ in judges]},
        headers=make_event.headers,
    )
    first, second = judges[0][1], judges[1][1]
    queue = await client.get(f"/api/v1/judging/queue?event_id={event['id']}", headers=first)
    assert queue.status_code == 200
    items = queue.json()["items"]
    assert len(items) == 6 and all(item["scores"] is None for item in items)
    text = queue.text
    for word in (*PERSONAL, "王小明1", "1390000000", "guardian", "school", "child"):
        assert word not in text, word
    entry_id = items[0]["entry_id"]
    scores = {"idea": 8, "art": 7, "neat": 9}
    put = await client.put(
        f"/api/v1/judging/entries/{entry_id}/scores", json={"scores": scores}, headers=first
    )
    assert put.status_code == 200, put.text
    mine = (await client.get("/api/v1/judging/queue", headers=first)).json()["items"]
    assert next(i for i in mine if i["entry_id"] == entry_id)["scores"] == scores
    theirs = (await client.get("/api/v1/judging/queue", headers=second)).json()["items"]
    assert next(i for i in theirs if i["entry_id"] == entry_id)["scores"] is None
    image = await client.get(items[0]["image_url"].replace("http://testserver.local", ""))
    assert image.status_code == 200


async def test_score_errors(client, make_event, token_for):
    event, created = await contest_with_entries(client, make_event, n=4)
    await close(client, make_event, event, judges_per_entry=1)
    judges = await judge_headers(client, 2)
    await client.post(
        f"/api/v1/events/{event['id']}/judging/assign",
        json={"judges": [n for n, _ in judges]},
        headers=make_event.headers,
    )
    first = judges[0][1]
    mine = {
        i["entry_id"]
        for i in (await client.get("/api/v1/judging/queue", headers=first)).json()["items"]
    }
    other = next(c["id"] for c in created if c["id"] not in mine)
    entry = next(iter(mine))
    url = "/api/v1/judging/entries/{}/scores"
    good = {"scores": {"idea": 5, "art": 5, "neat": 5}}
    not_mine = await client.put(url.format(other), json=good, headers=first)
    assert not_mine.status_code == 403 and not_mine.json()["code"] == "not_assigned"
    for bad in (
        {"idea": 5, "art": 5},
        {"idea": 0, "art": 5, "neat": 5},
        {"idea": 11, "art": 5, "neat": 5},
        {"idea": 5.5, "art": 5, "neat": 5},
        {"idea": "5", "art": 5, "neat": 5},
    ):
        response = await client.put(url.format(entry), json={"scores": bad}, headers=first)
        assert response.status_code == 422 and response.json()["code"] == "invalid", bad
    organizer = make_event.headers
    assert (await client.put(url.format(entry), json=good, headers=organizer)).status_code == 403
    admin = await token_for("admin")
    assert (await client.put(url.format(entry), json=good, headers=admin)).status_code == 403
    assert (await client.put(url.format(entry), json=good)).status_code == 401


def independent_ranking(marks, entries_by_group, share):
    """marks: {(judge, entry): weighted}; the rule computed plainly."""
    z = {}
    for judge in {j for j, _ in marks}:
        given = {e: v for (j, e), v in marks.items() if j == judge}
        mean, sd = statistics.fmean(given.values()), statistics.pstdev(given.values())
        z.update({(judge, e): 0.0 if sd == 0 else (v - mean) / sd for e, v in given.items()})
    out = {}
    for group, ids in entries_by_group.items():
        rows = []
        for e in ids:
            keys = [k for k in marks if k[1] == e]
            raw = statistics.fmean(marks[k] for k in keys) if keys else None
            score = statistics.fmean(z[k] for k in keys) if keys else None
            rows.append((e, raw, score))
        rows.sort(key=lambda r: (r[2] is None, -round(r[2] or 0, 9), -round(r[1] or 0, 9), r[0]))
        k = int(share * len(rows) + 0.5)
        out[group] = [(e, i + 1, i < k and s is not None) for i, (e, _, s) in enumerate(rows)]
    return out


async def test_compute_publish_results_certificate_and_verification(client, make_event):
    event, created = await contest_with_entries(client, make_event, n=10, selection_share=0.4)
    await close(client, make_event, event, selection_share=0.4)
    judges = await judge_headers(client, 3)
    names = {name: headers for name, headers in judges}
    assigned = (
        await client.post(
            f"/api/v1/events/{event['id']}/judging/assign",
            json={"judges": list(names)},
            headers=make_event.headers,
        )
    ).json()["assignments"]
    severity = dict(zip(names, (-3, 0, 3), strict=True))  # a harsh, a fair and a lenient judge
    weights = {c["code"]: c["weight"] for c in CRITERIA}
    marks = {}
    for item in assigned:
        quality = item["entry_id"] % 7
        for name in item["judges"][:-1] if item["entry_id"] == created[0]["id"] else item["judges"]:
            scores = {
                c: max(1, min(10, 3 + quality + severity[name] // 2 + i))
                for i, c in enumerate(weights)
            }
            response = await client.put(
                f"/api/v1/judging/entries/{item['entry_id']}/scores",
                json={"scores": scores},
                headers=names[name],
            )
            assert response.status_code == 200
            marks[(name, item["entry_id"])] = sum(weights[c] * scores[c] for c in weights)
    computed = await client.post(
        f"/api/v1/events/{event['id']}/results/compute", headers=make_event.headers
    )
    assert computed.status_code == 200, computed.text
    groups = {g["group"]: g for g in computed.json()["groups"]}
    by_group = {
        "low": [c["id"] for c in created if c["group"] == "low"],
        "mid": [c["id"] for c in created if c["group"] == "mid"],
    }
    expected = independent_ranking(marks, by_group, 0.4)
    for code, rows in expected.items():
        got = [(r["entry_id"], r["rank"], r["selected"]) for r in groups[code]["ranking"]]
        assert got == rows
        assert groups[code]["entries"] == 5 and groups[code]["selected"] == 2
    first = next(r for r in groups["low"]["ranking"] if r["entry_id"] == created[0]["id"])
    assert first["judges"] == 2
    # Computing changed nothing entrants see.
    entry = (await client.get(f"/api/v1/entries/{created[0]['entry_token']}")).json()
    assert entry["status"] == "submitted"
    assert (await client.get(f"/api/v1/events/{event['id']}/results")).status_code == 404

    published = await client.post(
        f"/api/v1/events/{event['id']}/results/publish", headers=make_event.headers
    )
    assert published.status_code == 200, published.text
    again = await client.post(
        f"/api/v1/events/{event['id']}/results/publish", headers=make_event.headers
    )
    assert again.status_code == 409 and again.json()["code"] == "results_published"
    selected_ids = {e for rows in expected.values() for e, _, s in rows if s}
    statuses = {}
    for c in created:
        got = (await client.get(f"/api/v1/entries/{c['entry_token']}")).json()
        statuses[c["id"]] = got["status"]
        assert (got["award"] is not None) == (c["id"] in selected_ids)
    assert {i for i, s in statuses.items() if s == "selected"} == selected_ids
    assert set(statuses.values()) == {"selected", "not_selected"}
    told = await OutboxMessage.select(OutboxMessage.kind).where(
        OutboxMessage.kind.is_in(["entry_selected", "entry_not_selected"])
    )
    assert len(told) == 10
    frozen = await client.put(
        f"/api/v1/judging/entries/{assigned[0]['entry_id']}/scores",
        json={"scores": {"idea": 5, "art": 5, "neat": 5}},
        headers=names[assigned[0]["judges"][0]],
    )
    assert frozen.status_code == 409 and frozen.json()["code"] == "results_published"
    config = await client.put(
        f"/api/v1/events/{event['id']}/contest", json=contest_body(), headers=make_event.headers
    )
    assert config.status_code == 409 and config.json()["code"] == "results_published"

    public = await client.get(f"/api/v1/events/{event['id']}/results")
    assert public.status_code == 200
    items = public.json()["items"]
    assert len(items) == 4
    assert all(item["child"].startswith("王") and "*" in item["child"] for item in items)
    assert all(item["award"] for item in items)
    for word in ("王小明1", "13900000001"):
        assert word not in public.text

    winner = next(c for c in created if c["id"] in selected_ids)
    loser = next(c for c in created if c["id"] not in selected_ids)
    pdf = await client.get(f"/api/v1/entries/{winner['entry_token']}/certificate.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    page = pypdfium2.PdfDocument(pdf.content)[0]
    bitmap = page.render(scale=3).to_pil()
    found = zxingcpp.read_barcodes(bitmap)
    assert found, "no QR on the certificate"
    url = found[0].text
    assert url.startswith("http://testserver.local/v/")
    verified = await client.get(url.replace("http://testserver.local", ""))
    assert verified.status_code == 200
    assert "王*" in verified.text or "王**" in verified.text
    assert "王小明" not in verified.text
    missing = await client.get(f"/api/v1/entries/{loser['entry_token']}/certificate.pdf")
    assert missing.status_code == 404
    nothing = await client.get("/v/GS26-ABCD-EFGH")  # well formed, never issued
    assert nothing.status_code == 404 and "不存在" in nothing.text


async def test_gallery_thumbnails_only_with_consent(client, make_event):
    event, created = await contest_with_entries(client, make_event, n=2, selection_share=1)
    await close(client, make_event, event, selection_share=1, judges_per_entry=1)
    judges = await judge_headers(client, 1)
    await client.post(
        f"/api/v1/events/{event['id']}/judging/assign",
        json={"judges": [judges[0][0]]},
        headers=make_event.headers,
    )
    for c in created:
        await client.put(
            f"/api/v1/judging/entries/{c['id']}/scores",
            json={"scores": {"idea": 6, "art": 6, "neat": 6}},
            headers=judges[0][1],
        )
    await client.post(
        f"/api/v1/entries/{created[1]['entry_token']}/gallery-consent",
        json={"gallery_consent": False},
    )
    await client.post(f"/api/v1/events/{event['id']}/results/publish", headers=make_event.headers)
    items = (await client.get(f"/api/v1/events/{event['id']}/results")).json()["items"]
    by_code = {item["code"]: item for item in items}
    assert by_code[created[0]["code"]]["thumbnail_url"]
    assert by_code[created[1]["code"]]["thumbnail_url"] is None


async def test_a_conflict_of_interest_hands_the_entry_to_a_free_judge(client, make_event):
    from events.tables import StaffUser

    event, _ = await contest_with_entries(client, make_event, n=4)
    await close(client, make_event, event, judges_per_entry=2)
    judges = await judge_headers(client, 4)
    names = [n for n, _ in judges]
    url = f"/api/v1/events/{event['id']}/judging/assign"
    dealt = (await client.post(url, json={"judges": names}, headers=make_event.headers)).json()
    entry = dealt["assignments"][0]
    on_it = entry["judges"]
    free = [n for n in names if n not in on_it]
    # One of the two free judges leaves; the other must be the one who takes the entry.
    await StaffUser.update({StaffUser.active: False}).where(StaffUser.username == free[0])
    leaving = dict(judges)[on_it[0]]
    response = await client.post(
        f"/api/v1/judging/entries/{entry['entry_id']}/conflict",
        json={"reason": "是我的学生"},
        headers=leaving,
    )
    assert response.status_code == 200 and response.json()["reassigned"] is True
    mine = (await client.get("/api/v1/judging/queue", headers=leaving)).json()["items"]
    assert entry["entry_id"] not in {i["entry_id"] for i in mine}
    taker = (await client.get("/api/v1/judging/queue", headers=dict(judges)[free[1]])).json()
    assert entry["entry_id"] in {i["entry_id"] for i in taker["items"]}
    score = await client.put(
        f"/api/v1/judging/entries/{entry['entry_id']}/scores",
        json={"scores": {"idea": 5, "art": 5, "neat": 5}},
        headers=leaving,
    )
    assert score.status_code == 403 and score.json()["code"] == "not_assigned"
    again = await client.post(
        f"/api/v1/judging/entries/{entry['entry_id']}/conflict", json={}, headers=leaving
    )
    assert again.status_code == 403
    # Assigning again never gives the entry back to the judge who stepped back.
    await StaffUser.update({StaffUser.active: True}).where(StaffUser.username == free[0])
    redealt = (await client.post(url, json={"judges": names}, headers=make_event.headers)).json()
    judges_of = {a["entry_id"]: a["judges"] for a in redealt["assignments"]}
    assert on_it[0] not in judges_of[entry["entry_id"]]
    assert len(judges_of[entry["entry_id"]]) == 2
