"""A contest's entry exports (XLSX and CSV): the columns, masked guardian phones, one column per
judge, the raw and normalised scores and ranks (computed before publication, frozen after),
awards and reasons, no live formulas; organizers and admins only."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import openpyxl

from events.contests.tables import Entry
from tests.contests.helpers import make_contest, submit
from tests.contests.judged import judged
from tests.pages.test_manage import login

HEADERS = [
    "作品编号",
    "组别",
    "年级",
    "孩子姓名",
    "学校",
    "监护人",
    "监护人手机（隐去中间四位）",
    "作品标题",
    "状态",
    "提交时间",
]
TAIL = [
    "评分人数",
    "原始平均分",
    "标准化得分",
    "组内名次",
    "入选",
    "奖项",
    "人工调整",
    "不通过原因",
]


def read_xlsx(content: bytes) -> list[tuple]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return list(sheet.iter_rows(values_only=True))


def read_csv(content: bytes) -> list[list[str]]:
    assert content.startswith("\ufeff".encode())  # Excel reads the Chinese right
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


async def compute(client, make_event, event):
    response = await client.post(
        f"/api/v1/events/{event['id']}/results/compute", headers=make_event.headers
    )
    assert response.status_code == 200, response.text
    return {r["entry_id"]: r for g in response.json()["groups"] for r in g["ranking"]}


async def test_the_export_has_every_column_masked_phones_and_scores_per_judge(client, make_event):
    event, created, heads, _given = await judged(client, make_event, n=6, skip_first=True)
    reject_id = created[-1]["id"]
    # Moderation after scoring: the rejected entry leaves the ranking, its reason is exported.
    response = await client.post(
        f"/api/v1/events/{event['id']}/entries/{reject_id}/reject",
        json={"reason": "非本人原创"},
        headers=make_event.headers,
    )
    assert response.status_code == 200, response.text
    ranked = await compute(client, make_event, event)
    names = sorted(heads)
    xlsx = await client.get(
        f"/api/v1/events/{event['id']}/entries.xlsx", headers=make_event.headers
    )
    assert xlsx.status_code == 200, xlsx.text
    assert "spreadsheetml" in xlsx.headers["content-type"]
    assert "attachment" in xlsx.headers["content-disposition"]
    rows = read_xlsx(xlsx.content)
    assert list(rows[0]) == HEADERS + [f"评委 {name}" for name in names] + TAIL
    assert len(rows) == 1 + len(created)
    column = {header: index for index, header in enumerate(rows[0])}
    by_code = {row[column["作品编号"]]: row for row in rows[1:]}
    codes = {c["id"]: c["code"] for c in created}
    entries = {e["id"]: e for e in await Entry.select().where(Entry.event == event["id"])}
    for entry_id, code in codes.items():
        row = by_code[code]
        entry = entries[entry_id]
        assert row[column["监护人手机（隐去中间四位）"]] == (
            f"{entry['guardian_phone'][:3]}****{entry['guardian_phone'][-4:]}"
        )
        assert row[column["孩子姓名"]] == entry["child_name"]
        assert row[column["学校"]] == entry["school"]
        assert row[column["组别"]] in ("小学低年级组", "小学高年级组")
        assert row[column["年级"]] in ("小学二年级", "小学五年级")
        assert isinstance(row[column["提交时间"]], datetime)
        if entry_id == reject_id:
            assert row[column["状态"]] == "未通过审核"
            assert row[column["不通过原因"]] == "非本人原创"
            assert row[column["原始平均分"]] is None and row[column["组内名次"]] is None
            continue
        computed = ranked[entry_id]
        assert row[column["组内名次"]] == computed["rank"]
        for name in names:
            weighted = next(
                (p["weighted"] for p in computed["per_judge"] if p["judge"] == name), None
            )
            cell = row[column[f"评委 {name}"]]
            assert cell == (None if weighted is None else round(weighted, 3)), (code, name)
        if computed["score"] is None:
            assert entry_id == created[0]["id"]  # the one nobody scored
            assert row[column["评分人数"]] == 0 and row[column["原始平均分"]] is None
        else:
            assert row[column["评分人数"]] == computed["judges"] == 3
            assert row[column["原始平均分"]] == round(computed["raw"], 3)
            assert row[column["标准化得分"]] == round(computed["score"], 4)
            assert isinstance(row[column["标准化得分"]], float)
        assert row[column["入选"]] == ("拟入选（未发布）" if computed["selected"] else None)
    text = "\n".join(str(cell) for row in rows for cell in row)
    for entry in entries.values():
        assert entry["guardian_phone"] not in text  # only masked
    csv_response = await client.get(
        f"/api/v1/events/{event['id']}/entries.csv", headers=make_event.headers
    )
    assert csv_response.status_code == 200
    assert csv_response.headers["content-type"].startswith("text/csv")
    table = read_csv(csv_response.content)
    assert table[0] == [str(cell) for cell in rows[0]]
    assert [r[0] for r in table[1:]] == [r[0] for r in rows[1:]]  # same rows, same order


async def test_after_publication_the_frozen_values_and_awards_are_exported(client, make_event):
    event, created, _heads, _given = await judged(
        client,
        make_event,
        n=6,
        selection_share=0.5,
        awards=[{"name": "金奖", "count": 1}, {"name": "铜奖", "count": 0}],
    )
    moved = created[1]["id"]
    await client.post(
        f"/api/v1/events/{event['id']}/entries/{moved}/move",
        json={"direction": "in", "reason": "评审会复议"},
        headers=make_event.headers,
    )
    published = await client.post(
        f"/api/v1/events/{event['id']}/results/publish", headers=make_event.headers
    )
    assert published.status_code == 200, published.text
    response = await client.get(
        f"/api/v1/events/{event['id']}/entries.xlsx", headers=make_event.headers
    )
    rows = read_xlsx(response.content)
    column = {header: index for index, header in enumerate(rows[0])}
    by_code = {row[column["作品编号"]]: row for row in rows[1:]}
    entries = await Entry.select().where(Entry.event == event["id"])
    for entry in entries:
        row = by_code[entry["code"]]
        assert row[column["组内名次"]] == entry["rank"]
        assert row[column["原始平均分"]] == round(entry["raw_score"], 3)
        assert row[column["标准化得分"]] == round(entry["score"], 4)
        assert row[column["奖项"]] == entry["award"]
        assert row[column["入选"]] == ("是" if entry["status"] == "selected" else None)
        assert row[column["状态"]] == ("入选" if entry["status"] == "selected" else "未入选")
    assert {row[column["奖项"]] for row in rows[1:]} >= {"金奖", "铜奖"}
    moved_row = by_code[next(e["code"] for e in entries if e["id"] == moved)]
    assert moved_row[column["人工调整"]] == "调入：评审会复议"
    # Rows run by group, then rank.
    groups = [row[column["组别"]] for row in rows[1:]]
    assert groups == sorted(groups, key=["小学低年级组", "小学高年级组"].index)
    for name in ("小学低年级组", "小学高年级组"):
        ranks = [row[column["组内名次"]] for row in rows[1:] if row[column["组别"]] == name]
        assert ranks == sorted(ranks)


async def test_user_text_never_becomes_a_live_formula(client, make_event):
    event = await make_contest(client, make_event)
    tricky = {
        "child_name": "=1+1",
        "school": "+SUM(A1)",
        "guardian_name": "@王",
        "title": '=HYPERLINK("http://x","y")',
    }
    response = await submit(client, event["id"], 1, **tricky)
    assert response.status_code == 201, response.text
    xlsx = await client.get(
        f"/api/v1/events/{event['id']}/entries.xlsx", headers=make_event.headers
    )
    rows = read_xlsx(xlsx.content)
    column = {header: index for index, header in enumerate(rows[0])}
    assert rows[1][column["孩子姓名"]] == "'=1+1"
    assert rows[1][column["学校"]] == "'+SUM(A1)"
    assert rows[1][column["监护人"]] == "'@王"
    assert rows[1][column["作品标题"]] == '\'=HYPERLINK("http://x","y")'
    table = read_csv(
        (
            await client.get(
                f"/api/v1/events/{event['id']}/entries.csv", headers=make_event.headers
            )
        ).content
    )
    cells = [cell for row in table[1:] for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    assert "'=1+1" in cells


async def test_only_organizers_and_admins_may_export(client, make_event, token_for):
    event = await make_contest(client, make_event)
    await submit(client, event["id"], 1)
    url = f"/api/v1/events/{event['id']}/entries"
    for kind in ("xlsx", "csv"):
        assert (await client.get(f"{url}.{kind}")).status_code == 401
        for role in ("staff", "judge"):
            headers = await token_for(role)
            response = await client.get(f"{url}.{kind}", headers=headers)
            assert response.status_code == 403 and response.json()["code"] == "forbidden"
        admin = await token_for("admin")
        assert (await client.get(f"{url}.{kind}", headers=admin)).status_code == 200
    lecture = await make_event(kind="lecture")
    missing = await client.get(
        f"/api/v1/events/{lecture['id']}/entries.xlsx", headers=make_event.headers
    )
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


async def test_the_organizer_page_serves_the_same_files_to_a_session(client, make_event):
    event = await make_contest(client, make_event)
    await submit(client, event["id"], 1)
    api = await client.get(f"/api/v1/events/{event['id']}/entries.csv", headers=make_event.headers)
    await login(client, "organizer")
    page = await client.get(f"/manage/events/{event['id']}/entries.csv")
    assert page.status_code == 200 and page.content == api.content
    xlsx = await client.get(f"/manage/events/{event['id']}/entries.xlsx")
    assert xlsx.status_code == 200 and read_xlsx(xlsx.content)[0][0] == "作品编号"
