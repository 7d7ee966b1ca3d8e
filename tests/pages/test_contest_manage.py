"""The organizer's contest pages: configuration (errors next to fields), moderation (filters,
rejection told to the guardian, duplicates side by side), judges (assign, progress), results
(raw and normalised scores, a move with its reason, publication once); roles."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

from events.contests import config
from events.contests.tables import Entry
from events.core.timeutil import TZ
from events.tables import AuditLog, OutboxMessage
from tests.contests.helpers import make_contest, photo, submit
from tests.contests.judged import assign, close, judged, judges, with_entries
from tests.pages.test_manage import login, post_form


def loaded(value):
    """A JSON column as read back (text on one engine, decoded on the other)."""
    return json.loads(value) if isinstance(value, str) else value


def local_input(days: float) -> str:
    moment = datetime.now(TZ).replace(second=0, microsecond=0) + timedelta(days=days)
    return moment.strftime("%Y-%m-%dT%H:%M")


def config_form(**change) -> dict[str, str]:
    form = {
        "submissions_open_at": local_input(-1),
        "submissions_close_at": local_input(20),
        "g_rows": "4",
        "g0_code": "low",
        "g0_name": "小学低年级组",
        "g0_min_grade": "1",
        "g0_max_grade": "3",
        "g0_quota": "",
        "g1_code": "mid",
        "g1_name": "小学高年级组",
        "g1_min_grade": "4",
        "g1_max_grade": "6",
        "g1_quota": "5",
        "g2_code": "",
        "g2_name": "",
        "g2_min_grade": "",
        "g2_max_grade": "",
        "g3_code": "high",
        "g3_name": "中学组",
        "g3_min_grade": "7",
        "g3_max_grade": "12",
        "c_rows": "3",
        "c0_code": "idea",
        "c0_name": "主题立意",
        "c0_weight": "2",
        "c1_code": "",
        "c1_name": "",
        "c1_weight": "",
        "c2_code": "art",
        "c2_name": "艺术表现",
        "c2_weight": "1",
        "judges_per_entry": "2",
        "selection_share": "12.5",
        "a_rows": "3",
        "a0_name": "一等奖",
        "a0_count": "1",
        "a1_name": "二等奖",
        "a1_count": "2",
        "a2_name": "优秀奖",
        "a2_count": "",
        "max_entries_per_child": "2",
        "gallery": "true",
        "issuer": "拱墅区科学技术局",
        "retention_days": "400",
    }
    form.update(change)
    return {key: value for key, value in form.items() if value is not None}


async def contest_event(make_event):
    return await make_event(kind="contest", capacity=2000, title="青少年反邪教绘画大赛")


async def test_a_new_contest_shows_the_bureaus_usual_defaults(client, make_event):
    event = await contest_event(make_event)
    await login(client, "organizer")
    response = await client.get(f"/manage/events/{event['id']}/contest")
    assert response.status_code == 200
    for text in (
        "小学低年级组",
        "小学高年级组",
        "初中组",
        "高中组",
        "主题立意",
        "艺术表现",
        "创意",
    ):
        assert text in response.text, text
    assert 'name="selection_share" value="20"' in response.text
    assert 'name="judges_per_entry" type="number" value="3"' in response.text
    assert re.search(r'name="gallery" type="checkbox" value="true"[^>]* checked', response.text)
    assert "小学一年级" in response.text and "高三" in response.text
    detail = await client.get(f"/manage/events/{event['id']}")
    for page in ("contest", "entries", "judging", "results"):
        assert f'href="/manage/events/{event["id"]}/{page}"' in detail.text


async def test_the_configuration_form_saves_percent_quotas_and_awards(client, make_event):
    event = await contest_event(make_event)
    await login(client, "organizer")
    response = await post_form(client, f"/manage/events/{event['id']}/contest", config_form())
    assert response.status_code == 303, response.text
    assert response.headers["location"].endswith("/contest?done=saved")
    saved = await config.get_config(event["id"])
    assert [g["code"] for g in saved["groups"]] == ["low", "mid", "high"]  # blank row left out
    assert saved["selection_share"] == 0.125
    assert saved["quotas"] == {"mid": 5}
    assert saved["criteria"] == [
        {"code": "idea", "name": "主题立意", "weight": 2.0},
        {"code": "art", "name": "艺术表现", "weight": 1.0},
    ]
    assert saved["awards"] == [
        {"name": "一等奖", "count": 1},
        {"name": "二等奖", "count": 2},
        {"name": "优秀奖", "count": 0},  # the last tier takes the rest
    ]
    assert saved["judges_per_entry"] == 2 and saved["max_entries_per_child"] == 2
    assert saved["gallery"] is True and saved["retention_days"] == 400
    shown = await client.get(response.headers["location"])
    assert "比赛设置已保存" in shown.text
    assert 'name="selection_share" value="12.5"' in shown.text
    assert 'name="g1_quota" value="5"' in shown.text
    unchecked = config_form()
    del unchecked["gallery"]
    await post_form(client, f"/manage/events/{event['id']}/contest", unchecked)
    assert (await config.get_config(event["id"]))["gallery"] is False


async def test_errors_show_next_to_their_fields_and_keep_what_was_typed(client, make_event):
    event = await contest_event(make_event)
    await login(client, "organizer")
    form = config_form(
        submissions_close_at=local_input(-2),  # before the open
        g3_min_grade="5",  # overlaps 小学高年级组
        c2_weight="-1",  # criteria.1 in the domain: the form's third row (a blank one between)
        g3_name="我们输入的中学组",
    )
    response = await post_form(client, f"/manage/events/{event['id']}/contest", form)
    assert response.status_code == 422
    text = response.text
    assert re.search(r'id="f-submissions_close_at-error">截止时间须晚于开始时间', text)
    assert re.search(r'id="f-groups-error">组别的年级范围不能重叠', text)
    assert re.search(r'id="f-c2-error">权重须为大于 0 的数', text)
    assert 'id="f-c2-weight" name="c2_weight" value="-1"' in text
    assert "我们输入的中学组" in text
    summary = text[text.index('id="error-summary"') : text.index('id="contest-form"')]
    assert "请修正以下 3 处问题" in summary
    assert 'href="#f-submissions_close_at"' in summary and 'href="#f-c2-code"' in summary
    assert (await client.get(f"/api/v1/events/{event['id']}/contest")).status_code == 404


async def test_moderation_lists_filters_and_rejects_with_the_guardian_told(client, make_event):
    event, created = await with_entries(client, make_event, n=3)
    await login(client, "organizer")
    url = f"/manage/events/{event['id']}/entries"
    listing = await client.get(url)
    assert listing.status_code == 200
    for item in created:
        assert f'id="entry-{item["id"]}"' in listing.text and item["code"] in listing.text
    assert "139****0001" in listing.text and "13900000001" not in listing.text
    assert "王小明1" in listing.text and "杭州市拱墅区实验小学" in listing.text
    assert 'src="/media/entries/' in listing.text
    low = await client.get(url, params={"group": "low"})
    assert f'id="entry-{created[0]["id"]}"' in low.text
    assert f'id="entry-{created[1]["id"]}"' not in low.text
    target = created[1]
    empty = await post_form(client, f"{url}/{target['id']}/reject", {"reason": " ", "group": "mid"})
    assert empty.status_code == 422
    assert re.search(rf'id="f-reason-{target["id"]}-error">请填写不通过的原因', empty.text)
    rejected = await post_form(
        client, f"{url}/{target['id']}/reject", {"reason": "照片模糊，请重新拍摄", "group": "mid"}
    )
    assert rejected.status_code == 303
    assert "group=mid" in rejected.headers["location"]
    told = await OutboxMessage.select().where(
        (OutboxMessage.kind == "entry_rejected") & (OutboxMessage.subject_id == target["id"])
    )
    assert len(told) == 1 and loaded(told[0]["payload"])["reason"] == "照片模糊，请重新拍摄"
    only = await client.get(url, params={"status": "rejected"})
    assert f'id="entry-{target["id"]}"' in only.text
    assert f'id="entry-{created[0]["id"]}"' not in only.text
    assert "照片模糊，请重新拍摄" in only.text
    counts = re.findall(r"未通过审核</span> <b>(\d+)</b>", only.text)
    assert counts == ["1"]
    restored = await post_form(client, f"{url}/{target['id']}/restore", {})
    assert restored.status_code == 303
    row = await Entry.select(Entry.status).where(Entry.id == target["id"]).first()
    assert row["status"] == "submitted"


async def test_moderation_is_paged(client, make_event, monkeypatch):
    from events.contests import moderation

    monkeypatch.setattr(moderation, "PAGE_SIZE", 2)
    event, created = await with_entries(client, make_event, n=3)
    await login(client, "organizer")
    url = f"/manage/events/{event['id']}/entries"
    first = await client.get(url)
    assert f'id="entry-{created[0]["id"]}"' in first.text
    assert f'id="entry-{created[2]["id"]}"' not in first.text
    assert "第 1/2 页" in first.text and "page=2" in first.text
    second = await client.get(url, params={"page": 2})
    assert f'id="entry-{created[2]["id"]}"' in second.text
    assert f'id="entry-{created[0]["id"]}"' not in second.text


async def test_a_duplicate_shows_side_by_side_with_the_earlier_entry(client, make_event):
    event = await make_contest(client, make_event)
    first = (await submit(client, event["id"], 1, image=photo(7, size=(1200, 900)))).json()
    resaved = photo(7, size=(1000, 750), quality=70)
    second = (await submit(client, event["id"], 2, image=resaved)).json()
    await submit(client, event["id"], 3, image=photo(9))
    rows = {r["id"]: r for r in await Entry.select().where(Entry.event == event["id"])}
    assert rows[second["id"]]["duplicate_of"] == first["id"]
    await login(client, "organizer")
    text = (await client.get(f"/manage/events/{event['id']}/entries")).text
    start = text.index(f'id="entry-{second["id"]}"')
    row = text[start : text.index("</tr>", start)]
    assert "疑似重复" in row
    assert f"/media/{rows[second['id']]['thumbnail_key']}" in row
    assert f"/media/{rows[first['id']]['thumbnail_key']}" in row  # the earlier one beside it
    assert f"code={first['code']}" in row and f"code={second['code']}" in row
    alone = text[text.index(f'id="entry-{first["id"]}"') :]
    assert "疑似重复" not in alone[: alone.index("</tr>")]


async def test_judging_page_assigns_and_shows_progress(client, make_event):
    event, _created = await with_entries(client, make_event, n=4)
    heads = dict(await judges(client, 3))
    await login(client, "organizer")
    url = f"/manage/events/{event['id']}/judging"
    page = await client.get(url)
    assert page.status_code == 200
    for name in heads:
        assert f'value="{name}"' in page.text
    assert "截止后才能分配评委" in page.text
    early = await post_form(client, f"{url}/assign", {"judge": list(heads)})
    assert early.status_code == 409 and "截止）" in early.text
    await close(client, make_event, event)
    none = await post_form(client, f"{url}/assign", {})
    assert none.status_code == 422 and "请至少选择一位评委" in none.text
    done = await post_form(client, f"{url}/assign", {"judge": list(heads)})
    assert done.status_code == 303, done.text
    names = list(heads)
    first = heads[names[0]]
    queue = (await client.get("/api/v1/judging/queue", headers=first)).json()["items"]
    assert len(queue) == 4  # 4 entries × 3 judges over 3 judges
    await client.put(
        f"/api/v1/judging/entries/{queue[0]['entry_id']}/scores",
        json={"scores": {"idea": 7, "art": 6, "neat": 8}},
        headers=first,
    )
    await client.post(
        f"/api/v1/judging/entries/{queue[1]['entry_id']}/conflict",
        json={"reason": "本校学生"},
        headers=first,
    )
    shown = await client.get(url)
    start = shown.text.index('class="cards judge-progress"')
    table = shown.text[start : shown.text.index("</table>", start)]
    row = table[table.index(names[0]) :]
    row = row[: row.index("</tr>")]
    cells = re.findall(r'class="num" data-label="[^"]+">(\d+)</td>', row)
    assert cells == ["3", "1", "1"]  # assigned (one stepped back from), scored, conflicts
    assert "checked" in shown.text.split(f'value="{names[0]}"')[1][:20]


async def test_results_page_shows_scores_moves_with_a_reason_and_publishes_once(client, make_event):
    event, created, _heads, _given = await judged(client, make_event, n=6, skip_first=True)
    user = await login(client, "organizer")
    url = f"/manage/events/{event['id']}/results"
    computed = (
        await client.post(
            f"/api/v1/events/{event['id']}/results/compute", headers=make_event.headers
        )
    ).json()
    rows = {r["entry_id"]: r for g in computed["groups"] for r in g["ranking"]}
    page = await client.get(url)
    assert page.status_code == 200
    text = page.text
    assert "1 件作品还没有任何评分" in text and created[0]["code"] in text
    scored = next(r for r in rows.values() if r["score"] is not None)
    row = text[text.index(f'id="rank-{scored["entry_id"]}"') :]
    row = row[: row.index("</tr>")]
    assert f"{scored['raw']:.2f}" in row and f"{scored['score']:.3f}" in row
    unscored_at = text.index(f'id="rank-{created[0]["id"]}"')
    assert text.index('id="unscored"') < unscored_at  # the warning comes first

    out = next(r for r in rows.values() if r["selected"])
    bad = await post_form(client, f"{url}/entries/{out['entry_id']}/move", {"direction": "out"})
    assert bad.status_code == 422 and "请写明调整的理由" in bad.text
    moved = await post_form(
        client,
        f"{url}/entries/{out['entry_id']}/move",
        {"direction": "out", "reason": "评审会复议：与往届获奖作品构图雷同"},
    )
    assert moved.status_code == 303
    log = await AuditLog.select().where(
        (AuditLog.action == "contest.move") & (AuditLog.object_id == out["entry_id"])
    )
    assert len(log) == 1 and log[0]["actor_name"] == user["username"]
    assert loaded(log[0]["after"]) == {
        "override": "out",
        "reason": "评审会复议：与往届获奖作品构图雷同",
    }
    after = await client.get(url)
    row = after.text[after.text.index(f'id="rank-{out["entry_id"]}"') :]
    row = row[: row.index("</tr>")]
    assert "人工调出" in row and "构图雷同" in row

    unconfirmed = await post_form(client, f"{url}/publish", {})
    assert unconfirmed.status_code == 422 and "请勾选确认" in unconfirmed.text
    assert (await Entry.select(Entry.status).where(Entry.id == out["entry_id"]).first())[
        "status"
    ] == "submitted"
    published = await post_form(client, f"{url}/publish", {"confirm": "true"})
    assert published.status_code == 303
    again = await post_form(client, f"{url}/publish", {"confirm": "true"})
    assert again.status_code == 409 and "结果已经发布过了" in again.text
    assert (await AuditLog.count().where(AuditLog.action == "contest.publish")) == 1
    final = await client.get(url)
    assert f"/manage/events/{event['id']}/certificates.pdf" in final.text
    assert f"/manage/events/{event['id']}/entries.xlsx" in final.text
    assert "?move=" not in final.text
    pdf = await client.get(f"/manage/events/{event['id']}/certificates.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    locked = await post_form(client, f"/manage/events/{event['id']}/contest", config_form())
    assert locked.status_code == 409 and "结果已发布" in locked.text


async def test_staff_and_judges_are_refused_and_visitors_sent_to_login(client, make_event):
    event, created = await with_entries(client, make_event, n=1)
    base = f"/manage/events/{event['id']}"
    pages = ["/contest", "/entries", "/judging", "/results", "/entries.xlsx", "/entries.csv"]
    posts = [
        "/contest",
        f"/entries/{created[0]['id']}/reject",
        f"/entries/{created[0]['id']}/restore",
        "/judging/assign",
        f"/results/entries/{created[0]['id']}/move",
        "/results/publish",
    ]
    for path in pages:
        response = await client.get(base + path, follow_redirects=False)
        assert response.status_code in (302, 303), path
        assert response.headers["location"].startswith(f"/login?next={base}{path}")
    for role in ("staff", "judge"):
        client.cookies.clear()
        await login(client, role)
        for path in pages:
            assert (await client.get(base + path)).status_code == 403, (role, path)
        for path in posts:
            response = await post_form(client, base + path, {"reason": "x" * 10, "confirm": "true"})
            assert response.status_code == 403, (role, path)
    row = await Entry.select(Entry.status).where(Entry.id == created[0]["id"]).first()
    assert row["status"] == "submitted"


async def test_pages_of_an_unset_contest_lead_to_the_configuration(client, make_event):
    event = await contest_event(make_event)
    lecture = await make_event(kind="lecture")
    await login(client, "organizer")
    for page in ("entries", "judging", "results"):
        response = await client.get(f"/manage/events/{event['id']}/{page}")
        assert response.status_code == 200 and "还没有设置征集规则" in response.text
    assert (await client.get(f"/manage/events/{lecture['id']}/contest")).status_code == 404
    detail = await client.get(f"/manage/events/{lecture['id']}")
    assert f"/manage/events/{lecture['id']}/judging" not in detail.text


async def test_assign_after_an_unfinished_first_round_keeps_scores(client, make_event):
    """The page's second assignment (more judges named) keeps the scores given."""
    event, _created = await with_entries(client, make_event, n=2)
    await close(client, make_event, event)
    heads = dict(await judges(client, 4))
    names = list(heads)
    first_round = await assign(client, make_event, event, names[:3])
    entry = first_round[0]["entry_id"]
    judge = first_round[0]["judges"][0]
    await client.put(
        f"/api/v1/judging/entries/{entry}/scores",
        json={"scores": {"idea": 9, "art": 9, "neat": 9}},
        headers=heads[judge],
    )
    await login(client, "organizer")
    response = await post_form(
        client, f"/manage/events/{event['id']}/judging/assign", {"judge": names}
    )
    assert response.status_code == 303
    queue = (await client.get("/api/v1/judging/queue", headers=heads[judge])).json()["items"]
    assert next(i for i in queue if i["entry_id"] == entry)["scores"] == {
        "idea": 9,
        "art": 9,
        "neat": 9,
    }
