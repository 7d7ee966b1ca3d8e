"""The judge's pages (/judge): their own queue and progress, save and next, errors next to the
criterion, 403 for an entry not theirs, read-only after publication, conflicts, and blind:
no child, school or guardian anywhere in any judge page."""

import re
from datetime import timedelta

from events.contests.tables import Assignment
from events.core.timeutil import iso, now
from tests.conftest import make_user
from tests.contests.helpers import contest_body, make_contest, photo, submit
from tests.pages.test_manage import login, post_form

GOOD = {"s_idea": "8", "s_art": "7", "s_neat": "9"}


async def sign_in(client, username):
    """Sign in through the login page as an existing user (the previous session is dropped)."""
    client.cookies.clear()
    await client.get("/login")
    response = await client.post(
        "/login",
        data={
            "username": username,
            "password": "password-123",
            "_csrf_token": client.cookies["csrftoken"],
        },
        follow_redirects=False,
    )
    assert response.status_code in (302, 303), response.text


async def judged_contest(client, make_event, n=6, judges=3, per_entry=2, personal=None, **change):
    """A closed contest of n entries assigned to new judges: (event, entries, {judge: [ids]})."""
    event = await make_contest(client, make_event, judges_per_entry=per_entry, **change)
    created = []
    for i in range(1, n + 1):
        fields = {"grade": "2" if i % 2 else "5", **(personal or {})}
        if personal:
            fields["guardian_phone"] = f"{personal['guardian_phone'][:-1]}{i}"
        response = await submit(client, event["id"], i, image=photo(i, size=(900, 700)), **fields)
        assert response.status_code == 201, response.text
        created.append(response.json())
    body = contest_body(
        submissions_close_at=iso(now() - timedelta(seconds=1)), judges_per_entry=per_entry, **change
    )
    closed = await client.put(
        f"/api/v1/events/{event['id']}/contest", json=body, headers=make_event.headers
    )
    assert closed.status_code == 200, closed.text
    names = [(await make_user("judge"))["username"] for _ in range(judges)]
    response = await client.post(
        f"/api/v1/events/{event['id']}/judging/assign",
        json={"judges": names},
        headers=make_event.headers,
    )
    assert response.status_code == 200, response.text
    mine = {name: [] for name in names}
    for item in response.json()["assignments"]:
        for name in item["judges"]:
            mine[name].append(item["entry_id"])
    return event, created, {name: sorted(ids) for name, ids in mine.items()}


def checked(html, code):
    """The value checked in a criterion's radio group, or None."""
    found = re.search(rf'name="s_{code}" value="(\d+)" checked', html)
    return int(found.group(1)) if found else None


def shown_entry(html):
    found = re.search(r'action="/judge/\d+/entries/(\d+)"', html)
    return int(found.group(1)) if found else None


async def test_a_judge_sees_only_their_own_queue_and_progress(client, make_event):
    event, created, mine = await judged_contest(client, make_event, n=6, judges=3, per_entry=2)
    first, second, _third = mine
    assert len(mine[first]) == 4
    codes = {c["id"]: c["code"] for c in created}
    await sign_in(client, first)
    home = await client.get("/judge")
    assert home.status_code == 200
    assert "青少年反邪教绘画大赛" in home.text and "<b>0</b> / 4" in home.text
    listing = await client.get(f"/judge/{event['id']}/all")
    assert listing.status_code == 200
    for entry_id, code in codes.items():
        assert (code in listing.text) == (entry_id in mine[first]), code
    assert shown_entry((await client.get(f"/judge/{event['id']}")).text) == mine[first][0]

    shared = next(e for e in mine[first] if e in mine[second])
    saved = await post_form(client, f"/judge/{event['id']}/entries/{shared}", GOOD)
    assert saved.status_code == 303
    page = await client.get(f"/judge/{event['id']}?entry={shared}")
    assert checked(page.text, "idea") == 8 and checked(page.text, "neat") == 9
    assert "<b>1</b> / 4" in (await client.get("/judge")).text

    await sign_in(client, second)
    theirs = await client.get(f"/judge/{event['id']}?entry={shared}")
    assert theirs.status_code == 200
    assert all(checked(theirs.text, c) is None for c in ("idea", "art", "neat"))
    assert "<b>0</b> / 4" in theirs.text


async def test_saving_advances_to_the_next_unscored_entry(client, make_event):
    event, _, mine = await judged_contest(client, make_event, n=4, judges=1, per_entry=1)
    (judge,) = mine
    ids = mine[judge]
    await sign_in(client, judge)
    base = f"/judge/{event['id']}"
    # The third is scored out of turn; saving the first then skips it.
    skipped = await post_form(client, f"{base}/entries/{ids[2]}", GOOD)
    assert skipped.headers["location"] == f"{base}?entry={ids[3]}&done=saved"
    saved = await post_form(client, f"{base}/entries/{ids[0]}", GOOD)
    assert saved.status_code == 303
    assert saved.headers["location"] == f"{base}?entry={ids[1]}&done=saved"
    following = await client.get(saved.headers["location"])
    assert shown_entry(following.text) == ids[1]
    assert "已保存上一件作品的评分" in following.text and "<b>2</b> / 4" in following.text
    assert "第 2 / 4 件" in following.text
    saved = await post_form(client, f"{base}/entries/{ids[1]}", GOOD)
    assert saved.headers["location"] == f"{base}?entry={ids[3]}&done=saved"
    last = await post_form(client, f"{base}/entries/{ids[3]}", {**GOOD, "s_idea": "10"})
    assert last.headers["location"] == f"{base}/all?done=saved"
    done = await client.get(base)
    assert "全部评完了" in done.text and "<b>4</b> / 4" in done.text
    rows = await Assignment.select(Assignment.entry, Assignment.scores).output(load_json=True)
    scores = {row["entry"]: row["scores"] for row in rows}
    assert scores[ids[3]] == {"idea": 10, "art": 7, "neat": 9}
    assert all(scores[i] == {"idea": 8, "art": 7, "neat": 9} for i in ids[:3])
    # Changing a score before publication: the page shows it, the new one is stored.
    again = await post_form(client, f"{base}/entries/{ids[0]}", {**GOOD, "s_art": "3"})
    assert again.headers["location"] == f"{base}/all?done=saved"
    assert checked((await client.get(f"{base}?entry={ids[0]}")).text, "art") == 3


async def test_a_bad_score_shows_the_error_next_to_the_criterion(client, make_event):
    event, _, mine = await judged_contest(client, make_event, n=2, judges=1, per_entry=1)
    (judge,) = mine
    entry = mine[judge][0]
    await sign_in(client, judge)
    url = f"/judge/{event['id']}/entries/{entry}"
    missing = await post_form(client, url, {"s_idea": "8", "s_neat": "9"})
    assert missing.status_code == 422
    error = re.search(r'id="err-art" data-error>([^<]+)<', missing.text)
    assert error and "请为这一项打分" in error.group(1)
    assert 'class="criterion invalid"' in missing.text
    assert checked(missing.text, "idea") == 8 and checked(missing.text, "neat") == 9
    for value in ("11", "0", "9" * 5000, "５", "abc"):
        response = await post_form(client, url, {**GOOD, "s_idea": value})
        assert response.status_code == 422, value
        assert re.search(r'id="err-idea" data-error>[^<]+<', response.text), value
        assert re.search(r'id="err-art" data-error hidden>', response.text), value
    assert "分数须在 1 到 10 之间" in (await post_form(client, url, {**GOOD, "s_art": "11"})).text
    rows = await Assignment.select(Assignment.scores).where(Assignment.entry == entry)
    assert rows[0]["scores"] is None


async def test_an_entry_not_assigned_to_the_judge_is_403(client, make_event):
    event, _, mine = await judged_contest(client, make_event, n=4, judges=2, per_entry=1)
    first, second = mine
    other = mine[second][0]
    await sign_in(client, first)
    base = f"/judge/{event['id']}"
    page = await client.get(f"{base}?entry={other}")
    assert page.status_code == 403 and "没有分配给您" in page.text
    assert (await client.get(f"{base}?entry=2147483647")).status_code == 403
    assert (await post_form(client, f"{base}/entries/{other}", GOOD)).status_code == 403
    conflict = await post_form(client, f"{base}/entries/{other}/conflict", {"reason": "x"})
    assert conflict.status_code == 403
    # One of the judge's own entries, under another contest's address, is not theirs there.
    elsewhere = await make_contest(client, make_event)
    assert (await client.get(f"/judge/{elsewhere['id']}?entry={mine[first][0]}")).status_code == 403
    rows = await Assignment.select().where(Assignment.entry == other)
    assert [(r["scores"], r["conflict"]) for r in rows] == [(None, False)]
    assert (await client.get(f"{base}?entry=abc")).status_code == 422
    assert (await client.get("/judge/99999999999")).status_code in (404, 422)


async def test_after_publication_scores_are_read_only(client, make_event):
    event, _, mine = await judged_contest(
        client, make_event, n=2, judges=1, per_entry=1, selection_share=0.5
    )
    (judge,) = mine
    await sign_in(client, judge)
    base = f"/judge/{event['id']}"
    for entry in mine[judge]:
        assert (await post_form(client, f"{base}/entries/{entry}", GOOD)).status_code == 303
    published = await client.post(
        f"/api/v1/events/{event['id']}/results/publish", headers=make_event.headers
    )
    assert published.status_code == 200, published.text
    entry = mine[judge][0]
    page = await client.get(f"{base}?entry={entry}")
    assert page.status_code == 200 and "结果已发布，评分已锁定" in page.text
    assert "data-criterion disabled" in page.text and "保存并下一件" not in page.text
    assert "申报回避" not in page.text and checked(page.text, "idea") == 8
    refused = await post_form(client, f"{base}/entries/{entry}", {**GOOD, "s_idea": "2"})
    assert refused.status_code == 409 and "结果已发布，评分已锁定" in refused.text
    conflict = await post_form(client, f"{base}/entries/{entry}/conflict", {})
    assert conflict.status_code == 409
    rows = await (
        Assignment.select(Assignment.scores, Assignment.conflict)
        .where(Assignment.entry == entry)
        .output(load_json=True)
    )
    assert rows[0]["scores"]["idea"] == 8 and rows[0]["conflict"] is False
    listing = await client.get(f"{base}/all")
    assert "结果已发布" in listing.text and "查看 ›" in listing.text
    assert "结果已发布" in (await client.get("/judge")).text


async def test_a_conflict_of_interest_passes_the_entry_to_another_judge(client, make_event):
    event, _, mine = await judged_contest(client, make_event, n=3, judges=3, per_entry=2)
    first = next(name for name, ids in mine.items() if ids)
    entry = mine[first][0]
    free = [name for name, ids in mine.items() if entry not in ids]
    assert len(free) == 1
    await sign_in(client, first)
    base = f"/judge/{event['id']}"
    form = await client.get(f"{base}?entry={entry}")
    assert "申报回避" in form.text and f'action="{base}/entries/{entry}/conflict"' in form.text
    await post_form(client, f"{base}/entries/{entry}", GOOD)
    response = await post_form(client, f"{base}/entries/{entry}/conflict", {"reason": "我的学生"})
    assert response.status_code == 303 and "done=conflict" in response.headers["location"]
    shown = await client.get(response.headers["location"])
    assert "另一位评委" in shown.text
    assert (await client.get(f"{base}?entry={entry}")).status_code == 403
    assert f'entry={entry}"' not in (await client.get(f"{base}/all")).text
    rows = await Assignment.select().where(Assignment.entry == entry)
    mine_row = next(r for r in rows if r["conflict"])
    assert mine_row["conflict_reason"] == "我的学生" and mine_row["scores"] is None
    assert sum(1 for r in rows if r["active"]) == 2
    await sign_in(client, free[0])
    taken = await client.get(f"{base}?entry={entry}")
    assert taken.status_code == 200 and shown_entry(taken.text) == entry


async def test_no_child_school_or_guardian_anywhere_on_a_judge_page(client, make_event):
    personal = {
        "child_name": "司马砚秋",
        "school": "青藤路第七实验小学",
        "guardian_name": "诸葛望舒",
        "guardian_phone": "13987654321",
    }
    event, created, mine = await judged_contest(
        client, make_event, n=3, judges=2, per_entry=2, personal=personal
    )
    judge = next(iter(mine))
    await sign_in(client, judge)
    base = f"/judge/{event['id']}"
    pages = [
        await client.get("/manage/"),
        await client.get("/judge"),
        await client.get(base),
        await client.get(f"{base}/all"),
        await post_form(client, f"{base}/entries/{mine[judge][0]}", {"s_idea": "99"}),
    ]
    for entry in mine[judge]:
        pages.append(await client.get(f"{base}?entry={entry}"))
        pages.append(await post_form(client, f"{base}/entries/{entry}", GOOD))
    pages.append(await client.get(f"{base}/all?done=saved"))
    conflict = await post_form(client, f"{base}/entries/{mine[judge][0]}/conflict", {})
    pages.append(await client.get(conflict.headers["location"]))
    assert [p.status_code for p in pages[:4]] == [200, 200, 200, 200]
    forbidden = ["司马砚秋", "青藤路第七实验小学", "诸葛望舒", "1398765432", "139****"]
    forbidden += ["司*秋", "司**秋", "诸*舒", "砚秋", "望舒", "青藤路"]
    forbidden += [c["entry_token"] for c in created]
    forbidden += ["child", "school", "guardian"]
    for page in pages:
        text = page.text + " ".join(f"{k}: {v}" for k, v in page.headers.items())
        for word in forbidden:
            assert word not in text, (word, str(page.url))
    image = re.search(r'<img src="(/media/[^"]+)"', pages[5].text)
    assert image and (await client.get(image.group(1))).status_code == 200
    assert "no-store" in pages[2].headers["cache-control"]


async def test_other_roles_are_refused_and_visitors_sign_in(client, make_event):
    event, _, mine = await judged_contest(client, make_event, n=2, judges=1, per_entry=1)
    entry = next(iter(mine.values()))[0]
    anonymous = await client.get(f"/judge/{event['id']}?entry={entry}", follow_redirects=False)
    assert anonymous.status_code in (302, 303)
    assert anonymous.headers["location"].startswith("/login?next=/judge/")
    assert (
        (await client.get("/judge", follow_redirects=False))
        .headers["location"]
        .startswith("/login")
    )
    for role in ("organizer", "staff", "admin"):
        client.cookies.clear()
        await login(client, role)
        for url in ("/judge", f"/judge/{event['id']}", f"/judge/{event['id']}/all"):
            assert (await client.get(url)).status_code == 403, (role, url)
        posted = await post_form(client, f"/judge/{event['id']}/entries/{entry}", GOOD)
        assert posted.status_code == 403, role
        assert 'href="/judge"' not in (await client.get("/manage/")).text
    rows = await Assignment.select(Assignment.scores).where(Assignment.entry == entry)
    assert rows[0]["scores"] is None


async def test_the_workbench_leads_a_judge_to_their_page(client, db):
    await login(client, "judge")
    workbench = await client.get("/manage/")
    assert workbench.status_code == 200 and 'href="/judge"' in workbench.text
    empty = await client.get("/judge")
    assert empty.status_code == 200 and "目前没有分配给您的作品" in empty.text
