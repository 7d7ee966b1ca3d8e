"""The organizers' statistics pages: dashboard, goal editor, event report, the annual workbook
and the page-session twins of the exports — on both databases, against the fixture year of
tests/api/test_stats.py (known figures for 2025)."""

import io
import json
import re
from datetime import datetime

import openpyxl
import pytest

from events.core.timeutil import TZ, today
from events.reporting import breakdowns, stats
from events.tables import Goal
from tests.api import test_stats as api_stats
from tests.pages.test_manage import login, post_form

year_2025 = api_stats.year_2025  # the fixture year with known figures

PAGES = ["/manage/stats", "/manage/goals", "/manage/stats/annual.xlsx?year=2025"]


def goal_cards(html: str) -> dict[str, str]:
    """The goal cards of the dashboard by their heading."""
    cards = {}
    for chunk in html.split('<li class="goal card">')[1:]:
        chunk = chunk.split("</li>", 1)[0]
        title = re.search(r"<h3>(.*?)</h3>", chunk).group(1)
        cards[title] = chunk
    return cards


def figures_of(card: str) -> dict[str, str]:
    return dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", card))


def key_figure(html: str, name: str) -> str:
    return re.search(rf"<dt>{name}</dt><dd>(.*?)</dd>", html).group(1)


async def test_anonymous_visitors_are_sent_to_login(client, db):
    for url in PAGES:
        response = await client.get(url, follow_redirects=False)
        assert response.status_code in (302, 303), url
        assert response.headers["location"].startswith("/login?next=/manage/")


@pytest.mark.parametrize("role", ["staff", "judge"])
async def test_staff_and_judges_may_not_see_the_statistics(client, db, role):
    await login(client, role)
    for url in [*PAGES, "/manage/stats/attendance.csv?year=2025"]:
        assert (await client.get(url)).status_code == 403, url
    assert (await post_form(client, "/manage/goals?year=2025", {})).status_code == 403


@pytest.mark.parametrize("role", ["organizer", "admin"])
async def test_organizers_and_admins_see_every_page(client, year_2025, role):
    await login(client, role)
    dashboard = await client.get("/manage/stats?year=2025")
    assert dashboard.status_code == 200
    assert "2025 年活动统计" in dashboard.text
    assert dashboard.text.count('role="img"') >= 2 and "<title" in dashboard.text
    assert "预计年底" in dashboard.text and "怎么算" in dashboard.text
    assert (await client.get("/manage/stats")).status_code == 200  # this year by default
    assert (await client.get("/manage/goals?year=2025")).status_code == 200
    report = await client.get(f"/manage/stats/events/{year_2025['a']}")
    assert report.status_code == 200


async def test_dashboard_shows_each_goal_against_its_target_and_projection(client, year_2025):
    goals = [
        {"metric": "sessions.lecture", "target": 5},
        {"metric": "attendance.all", "target": 8},
        {"metric": "registrations.matching", "target": 2},
    ]
    await stats.set_goals(2025, goals, None)
    await login(client, "organizer")
    html = (await client.get("/manage/stats?year=2025")).text
    cards = goal_cards(html)
    lecture = cards["科普讲座 · 举办场次"]
    assert figures_of(lecture) == {"已完成": "2", "目标": "5", "预计年底": "2", "完成率": "40.0%"}
    assert "有风险" in lecture and 'aria-label="实际 2，目标 5，预计年底 2"' in lecture
    everyone = cards["全部活动 · 签到人数"]
    assert figures_of(everyone)["已完成"] == "8" and "已达成" in everyone
    assert figures_of(cards["快墅转成果对接 · 报名人数"])["已完成"] == "3"
    # the year's key figures: 3 held, 8 came of 9 confirmed at held events
    assert key_figure(html, "已举办场次") == "3"
    assert key_figure(html, "签到人数") == "8"
    assert key_figure(html, "到场率") == "88.9%" and key_figure(html, "爽约率") == "11.1%"
    # breakdowns, top events linking to their report
    assert "小河街道" in html and "区科技局" in html
    assert f'href="/manage/stats/events/{year_2025["b"]}"' in html
    assert "/manage/stats/annual.xlsx?year=2025" in html
    assert "/manage/stats/attendance.csv?year=2025" in html


async def test_this_years_goal_shows_a_projection_and_on_track_status(client, year_2025):
    from events.core.timeutil import today

    year = today().year
    await stats.set_goals(year, [{"metric": "sessions.lecture", "target": 1}], None)
    await login(client, "organizer")
    html = (await client.get("/manage/stats")).text
    card = goal_cards(html)["科普讲座 · 举办场次"]
    numbers = figures_of(card)
    assert numbers["已完成"] == "0" and int(numbers["预计年底"]) >= 1
    assert "进度正常" in card


async def test_filters_narrow_the_figures(client, year_2025):
    await login(client, "organizer")
    lectures = (await client.get("/manage/stats?year=2025&kind=lecture")).text
    assert key_figure(lectures, "已举办场次") == "2"
    assert key_figure(lectures, "签到人数") == "6"
    assert "科普讲座·芯片" in lectures and "快墅转·对接会" not in lectures
    assert '<option value="lecture" selected>' in lectures
    matching = (await client.get("/manage/stats?year=2025&kind=matching")).text
    assert key_figure(matching, "已举办场次") == "1" and "科普讲座·芯片" not in matching
    elsewhere = (await client.get("/manage/stats?year=2025&street=湖墅街道")).text
    assert key_figure(elsewhere, "已举办场次") == "0" and "快墅转·对接会" not in elsewhere
    assert '<option value="湖墅街道" selected>' in elsewhere
    unknown_kind = await client.get("/manage/stats?year=2025&kind=party")
    assert unknown_kind.status_code == 200  # an unknown kind is ignored, not an error


async def test_goal_form_saves_the_years_goals(client, year_2025):
    await login(client, "organizer")
    form = await client.get("/manage/goals?year=2025")
    assert 'name="t.sessions.matching"' in form.text and 'name="_csrf_token"' in form.text
    assert "已完成 8" in form.text  # attendance.all of 2025, next to its input
    response = await post_form(
        client,
        "/manage/goals?year=2025",
        {"t.sessions.matching": "50", "t.attendance.lecture": "2000", "t.sessions.policy": ""},
    )
    assert response.status_code == 303, response.text
    saved = await stats.get_goals(2025)
    assert {g["metric"]: g["target"] for g in saved["goals"]} == {
        "sessions.matching": 50,
        "attendance.lecture": 2000,
    }
    again = await client.get(response.headers["location"])
    assert "目标已保存" in again.text and 'value="2000"' in again.text


async def test_goal_form_shows_errors_next_to_fields_and_keeps_values(client, db):
    await stats.set_goals(2025, [{"metric": "sessions.all", "target": 9}], None)
    await login(client, "organizer")
    response = await post_form(
        client,
        "/manage/goals?year=2025",
        {"t.sessions.matching": "7", "t.sessions.policy": "-3"},
    )
    assert response.status_code == 422
    html = response.text
    assert "目标应为不小于 0 的整数" in html
    assert 'id="g-sessions-policy-error"' in html and 'value="-3"' in html and 'value="7"' in html
    field = re.search(r'<input id="g-sessions-policy"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in field
    words = await post_form(client, "/manage/goals?year=2025", {"t.sessions.all": "很多"})
    assert words.status_code == 422 and "请输入整数" in words.text and 'value="很多"' in words.text
    rows = await Goal.select(Goal.metric, Goal.target).where(Goal.year == 2025)
    assert rows == [{"metric": "sessions.all", "target": 9}]  # nothing changed


@pytest.mark.parametrize(
    "url",
    [
        "/manage/stats?year=1999",
        "/manage/stats?year=abc",
        "/manage/goals?year=3000",
        "/manage/stats/annual.xlsx?year=1800",
        "/manage/stats/attendance.csv?year=2200",
        "/manage/stats/events/999999",
    ],
)
async def test_bad_years_and_events_get_a_friendly_page(client, db, url):
    await login(client, "organizer")
    response = await client.get(url)
    assert 400 <= response.status_code < 500, (url, response.status_code)
    assert response.headers["content-type"].startswith("text/html")
    assert "返回活动列表" in response.text


async def test_annual_workbook_has_four_sheets_with_chinese_headers(client, year_2025):
    await stats.set_goals(
        2025,
        [{"metric": "sessions.lecture", "target": 4}, {"metric": "attendance.all", "target": 8}],
        None,
    )
    await login(client, "organizer")
    response = await client.get("/manage/stats/annual.xlsx?year=2025")
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    assert "filename*=UTF-8''2025" in response.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["目标完成情况", "活动明细", "月度统计", "街道统计"]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
    goals = [[c.value for c in row] for row in book["目标完成情况"].iter_rows()]
    assert goals[0] == ["指标", "目标", "实际完成", "完成率", "预计年底", "预计完成率", "状态"]
    assert goals[1] == ["科普讲座 · 举办场次", 4, 2, 0.5, 2, 0.5, "有风险"]
    assert goals[2][-1] == "已达成"
    assert book["目标完成情况"]["D2"].number_format == "0.0%"
    details = [[c.value for c in row] for row in book["活动明细"].iter_rows()]
    assert details[0][:4] == ["日期", "类型", "系列", "活动名称"]
    assert [row[3] for row in details[1:]] == [
        "快墅转·对接会",
        "科普讲座·芯片",
        "科普讲座·取消",
        "跨年科普夜",
    ]
    monthly = [[c.value for c in row] for row in book["月度统计"].iter_rows()]
    assert monthly[0] == ["月份", "类型", "举办场次", "签到人数"]
    assert ["3月", "快墅转成果对接", 1, 2] in monthly and ["6月", "科普讲座", 1, 4] in monthly
    assert ["12月", "合计", 1, 2] in monthly and ["1月", "合计", 0, 0] in monthly
    streets = [[c.value for c in row] for row in book["街道统计"].iter_rows()]
    assert streets[0] == ["街道", "举办场次", "报名人数", "签到人数", "到场率"]
    assert streets[1][:4] == ["小河街道", 3, 9, 8] and abs(streets[1][4] - 8 / 9) < 1e-9
    assert streets[-1][0] == "合计"
    assert book["街道统计"]["E2"].number_format == "0.0%"


async def test_event_report_shows_days_arrivals_and_masked_no_shows(client, year_2025):
    await login(client, "organizer")
    html = (await client.get(f"/manage/stats/events/{year_2025['a']}")).text
    assert "快墅转·对接会" in html
    assert html.count('<svg class="chart"') == 2 and "每天报名人数" in html
    assert '<th scope="row">2025-01-05</th>' in html  # the day the fixture registered
    assert '<th scope="row">09:00</th>' in html  # the minute it checked in (Shanghai)
    assert "未到场名单" in html and "138****" in html
    assert not re.search(r"\b1[3-9]\d{9}\b", html)  # no full phone number
    assert '=HYPERLINK("' not in html  # the name is shown as escaped text
    assert f"/manage/events/{year_2025['a']}/registrations.xlsx" in html


async def test_page_session_twins_of_the_exports(client, year_2025):
    await login(client, "organizer")
    csv_file = await client.get("/manage/stats/attendance.csv?year=2025")
    assert csv_file.status_code == 200 and csv_file.content.startswith("\ufeff".encode())
    assert "快墅转·对接会" in csv_file.content.decode("utf-8-sig")
    xlsx = await client.get("/manage/stats/attendance.xlsx?year=2025")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    assert sheet.freeze_panes == "A2" and sheet["A1"].value == "日期"
    for kind in ("csv", "xlsx"):
        response = await client.get(f"/manage/events/{year_2025['a']}/registrations.{kind}")
        assert response.status_code == 200, kind
        assert "attachment" in response.headers["content-disposition"]
    text = (await client.get(f"/manage/events/{year_2025['a']}/registrations.csv")).text
    assert "138****" in text and not re.search(r"1[3-9]\d{9}", text)


async def test_admin_exports_the_full_list_with_a_reason_and_it_is_audited(client, year_2025):
    from events.tables import AuditLog

    await login(client, "admin")
    url = f"/manage/stats/events/{year_2025['a']}"
    report = await client.get(url)
    assert f'action="{url}/unmasked"' in report.text and 'name="reason"' in report.text
    for kind in ("csv", "xlsx"):
        reason = f"区科技局核对补贴名单 {kind}"
        response = await post_form(client, f"{url}/unmasked", {"reason": reason, "format": kind})
        assert response.status_code == 200, response.text
        assert "attachment" in response.headers["content-disposition"]
        if kind == "csv":
            text = response.content.decode("utf-8-sig")
        else:
            sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
            text = repr([[cell.value for cell in row] for row in sheet.iter_rows()])
        assert re.search(r"13812\d{6}", text) and "138****" not in text, kind
    logged = await AuditLog.select().where(AuditLog.action == "export.unmasked")
    afters = [row["after"] for row in logged]
    afters = [json.loads(a) if isinstance(a, str) else a for a in afters]
    assert [(a["format"], a["reason"]) for a in afters] == [
        ("csv", "区科技局核对补贴名单 csv"),
        ("xlsx", "区科技局核对补贴名单 xlsx"),
    ]
    assert {row["object_id"] for row in logged} == {year_2025["a"]}


async def test_short_reason_is_422_with_the_message_and_the_typed_reason(client, year_2025):
    from events.tables import AuditLog

    await login(client, "admin")
    url = f"/manage/stats/events/{year_2025['a']}/unmasked"
    response = await post_form(client, url, {"reason": " 核对 ", "format": "csv"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "导出完整手机号须说明理由" in response.text
    field = re.search(r'<input id="f-reason"[^>]*>', response.text).group(0)
    assert 'value=" 核对 "' in field and 'aria-invalid="true"' in field
    assert 'id="f-format-csv" name="format" type="radio" value="csv" checked' in response.text
    assert not re.search(r"\b1[3-9]\d{9}\b", response.text)
    assert await AuditLog.count().where(AuditLog.action == "export.unmasked") == 0
    no_csrf = await client.post(url, data={"reason": "核对补贴名单"}, follow_redirects=False)
    assert no_csrf.status_code == 403


async def test_organizers_neither_see_nor_use_the_unmasked_export(client, year_2025):
    from events.tables import AuditLog

    await login(client, "organizer")
    url = f"/manage/stats/events/{year_2025['a']}"
    report = await client.get(url)
    assert report.status_code == 200 and 'name="reason"' not in report.text
    assert "/unmasked" not in report.text
    response = await post_form(client, f"{url}/unmasked", {"reason": "核对补贴名单"})
    assert response.status_code == 403
    assert await AuditLog.count().where(AuditLog.action == "export.unmasked") == 0


async def test_upcoming_event_report_shows_no_rates(client, year_2025):
    await login(client, "organizer")
    html = (await client.get(f"/manage/stats/events/{year_2025['future']}")).text
    assert key_figure(html, "到场率") == "—" and key_figure(html, "未到场") == "—"
    assert "0.0%" not in html
    held = (await client.get(f"/manage/stats/events/{year_2025['b']}")).text
    assert key_figure(held, "到场率") == "100.0%"


async def test_top_events_list_only_held_events(client, year_2025):
    rows = await breakdowns.top_events(2025, 10)
    assert [row["title"] for row in rows] == ["科普讲座·芯片", "快墅转·对接会", "跨年科普夜"]
    next_year = today().year + 1
    await api_stats._event("明年的讲座", "lecture", datetime(next_year, 3, 1, 14, tzinfo=TZ))
    await login(client, "organizer")
    future = (await client.get(f"/manage/stats?year={next_year}")).text
    top = future.split('id="h-top"', 1)[1].split("</section>", 1)[0]
    assert "明年的讲座" not in top and "<table" not in top
    assert "暂无已举办的活动。" in top
    held = (await client.get("/manage/stats?year=2025")).text
    top = held.split('id="h-top"', 1)[1].split("</section>", 1)[0]
    assert "科普讲座·芯片" in top and "年末讲座" not in top


async def test_too_large_a_goal_says_the_limit(client, db):
    await login(client, "organizer")
    response = await post_form(
        client, "/manage/goals?year=2025", {"t.sessions.all": "99999999999999999999"}
    )
    assert response.status_code == 422
    assert "目标不能超过 10,000,000" in response.text
    assert "目标应为不小于 0 的整数" not in response.text
    assert 'value="99999999999999999999"' in response.text


async def test_event_detail_links_the_report_and_the_exports(client, year_2025):
    from tests.pages.test_manage import make_event

    await login(client, "organizer")
    html = (await client.get(f"/manage/events/{year_2025['a']}")).text
    for link in ("", "/registrations.xlsx", "/registrations.csv"):
        base = "/manage/stats/events" if not link else "/manage/events"
        assert f'href="{base}/{year_2025["a"]}{link}"' in html, link
    assert "统计报告" in html
    draft = await make_event(title="未发布的草稿", status="draft")
    html = (await client.get(f"/manage/events/{draft['id']}")).text
    assert "registrations.xlsx" not in html and "发布后可查看统计报告" in html
    assert html.count("草稿 · 未发布") == 1 and ">草稿</span>" not in html
