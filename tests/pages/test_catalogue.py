"""The public catalogue and event pages, as a phone would fetch them."""

import re
from datetime import datetime, timedelta

import pytest

from events.core.timeutil import TZ
from events.scheduling import scheduling
from web.pages import catalogue as catalogue_page


def at(days, hour=14):
    return datetime.now(TZ).replace(hour=hour, minute=0, second=0, microsecond=0) + timedelta(
        days=days
    )


async def make_event(**change):
    values = {
        "title": "科普墅·走近人工智能大模型",
        "kind": "lecture",
        "series": "科普墅",
        "starts_at": at(5),
        "ends_at": at(5) + timedelta(hours=2),
        "venue": "小河直街社区文化家园",
        "address": "拱墅区小河路 488 号",
        "street": "小河街道",
        "capacity": 200,
        "description": "第一段。\n第二段 <b>不是标签</b>。",
    }
    values.update(change)
    return await scheduling.create_event(values, actor=None)


async def test_catalogue_groups_upcoming_events_by_programme(client):
    await make_event()
    await make_event(title="快墅转·智能制造专场", kind="matching", series="快墅转")
    await make_event(title="往期讲座", starts_at=at(-20), ends_at=at(-20) + timedelta(hours=2))
    await make_event(title="草稿讲座", status="draft")
    response = await client.get("/")
    assert response.status_code == 200
    html = response.text
    assert '<html lang="zh-CN">' in html and 'name="viewport"' in html
    assert "快墅转 · 科技成果转化对接" in html and "科普墅 · 前沿科普讲座" in html
    assert html.index("快墅转·智能制造专场") < html.index("科普墅·走近人工智能大模型")
    assert "往期讲座" not in html and "草稿讲座" not in html
    assert "余 200 位" in html


async def test_filters_and_search(client):
    await make_event()
    await make_event(title="政策宣讲·高企申报辅导", kind="policy", street="上塘街道")
    by_kind = (await client.get("/", params={"kind": "policy"})).text
    assert "高企申报辅导" in by_kind and "走近人工智能" not in by_kind
    by_street = (await client.get("/", params={"street": "小河街道"})).text
    assert "走近人工智能" in by_street and "高企申报辅导" not in by_street
    found = (await client.get("/", params={"q": "高企"})).text
    assert "高企申报辅导" in found and "走近人工智能" not in found
    nothing = (await client.get("/", params={"q": "不存在的活动"})).text
    assert "没有符合条件的活动" in nothing
    week = (await client.get("/", params={"when": "30d"})).text
    assert "走近人工智能" in week


async def test_past_events_are_reachable_but_not_listed_by_default(client):
    old = await make_event(
        title="往期讲座", starts_at=at(-20), ends_at=at(-20) + timedelta(hours=2)
    )
    assert "往期讲座" in (await client.get("/", params={"past": "true"})).text
    page = await client.get(f"/events/{old['id']}")
    assert page.status_code == 200 and "已结束" in page.text


async def test_event_page_shows_facts_and_escapes_text(client):
    event = await make_event(title="<script>alert(1)</script>讲座")
    page = await client.get(f"/events/{event['id']}")
    assert page.status_code == 200
    html = page.text
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "&lt;b&gt;不是标签&lt;/b&gt;" in html
    for text in (
        "小河直街社区文化家园",
        "拱墅区小河路 488 号",
        "小河街道",
        "余 200 位",
        "加入日历",
        "分享活动",
    ):
        assert text in html


async def test_drafts_are_404_to_the_public(client):
    draft = await make_event(status="draft")
    response = await client.get(f"/events/{draft['id']}")
    assert response.status_code == 404
    assert "页面不存在" in response.text


async def test_calendar_file(client):
    event = await make_event()
    response = await client.get(f"/events/{event['id']}/calendar.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    body = response.text
    assert "BEGIN:VCALENDAR" in body and "BEGIN:VEVENT" in body
    assert "科普墅·走近人工智能大模型" in body
    start_utc = event["starts_at"].astimezone(TZ).astimezone(tz=None)
    assert "DTSTART" in body and start_utc


async def test_english_is_switchable(client):
    await make_event()
    response = await client.get("/lang/en", params={"next": "/"})
    assert response.status_code in (302, 303)
    english = await client.get("/")
    assert '<html lang="en">' in english.text
    assert "Canal" in english.text or "Events" in english.text
    back = await client.get("/lang/zh_CN")
    assert back.status_code in (302, 303)
    assert '<html lang="zh-CN">' in (await client.get("/")).text


async def test_language_switch_never_redirects_off_site(client):
    response = await client.get("/lang/en", params={"next": "//evil.example/x"})
    assert response.headers["location"] in ("/", "http://testserver.local/")


async def test_pages_are_gzipped_and_revalidated(client):
    await make_event()
    response = await client.get("/", headers={"Accept-Encoding": "gzip"})
    assert response.headers.get("content-encoding") == "gzip"
    etag = response.headers["etag"]
    again = await client.get("/", headers={"If-None-Match": etag})
    assert again.status_code == 304


async def test_an_edit_shows_on_the_page_at_once(client, token_for):
    event = await make_event()
    assert "走近人工智能" in (await client.get("/")).text
    organizer = await token_for("organizer")
    await client.patch(
        f"/api/v1/events/{event['id']}", json={"title": "新的讲座标题"}, headers=organizer
    )
    assert "新的讲座标题" in (await client.get("/")).text


async def test_bad_query_strings_are_friendly_pages(client):
    for query in ("page=abc", "page=0", "kind=zzz&when=x&street=y"):
        response = await client.get(f"/?{query}")
        assert response.status_code in (200, 422), query
        assert "<html" in response.text


async def test_public_event_list_is_gzipped_once(client):
    import gzip
    import json

    await make_event()
    response = await client.get("/api/v1/events", headers={"Accept-Encoding": "gzip"})
    assert response.headers.get("content-encoding") == "gzip"
    # httpx undoes one layer: what is left must be JSON, not a second gzip stream.
    body = response.content
    assert json.loads(body)["items"], gzip


def card_titles(html: str) -> list[str]:
    return re.findall(r'<span class="title">(.*?)</span>', html)


@pytest.mark.parametrize("page", ["abc", "0", "-1", "", "1.5", "²", "1e3"])
async def test_a_bad_page_number_is_page_one(client, monkeypatch, page):
    monkeypatch.setattr(catalogue_page, "PAGE_SIZE", 2)
    for day in (1, 2, 3):
        await make_event(
            title=f"讲座 {day}", starts_at=at(day), ends_at=at(day) + timedelta(hours=2)
        )
    response = await client.get("/", params={"kind": "lecture", "page": page})
    assert response.status_code == 200, response.text
    assert card_titles(response.text) == ["讲座 1", "讲座 2"]
    assert "上一页" not in response.text and "page=2" in response.text


@pytest.mark.parametrize("page", ["3", "99", "10000", "9" * 40])
async def test_a_page_past_the_end_is_the_last_page(client, monkeypatch, page):
    monkeypatch.setattr(catalogue_page, "PAGE_SIZE", 2)
    for day in (1, 2, 3):
        await make_event(
            title=f"讲座 {day}", starts_at=at(day), ends_at=at(day) + timedelta(hours=2)
        )
    response = await client.get("/", params={"kind": "lecture", "page": page})
    assert response.status_code == 200, response.text
    assert card_titles(response.text) == ["讲座 3"]
    assert 'href="/?kind=lecture&amp;page=1"' in response.text  # 上一页 from the last page
    assert "下一页" not in response.text
    nothing = await client.get("/", params={"q": "不存在的活动", "page": page})
    assert nothing.status_code == 200 and "没有符合条件的活动" in nothing.text


async def test_search_button_and_clear_keep_the_tab(client):
    await make_event()
    await make_event(title="往期讲座", starts_at=at(-20), ends_at=at(-20) + timedelta(hours=2))
    home = (await client.get("/")).text
    assert '<button class="button primary" type="submit">搜索</button>' in home
    assert ">清除<" not in home  # no filter set: nothing to clear
    past = (await client.get("/", params={"past": "true"})).text
    assert "往期讲座" in past and ">清除<" not in past
    searched = (await client.get("/", params={"past": "true", "q": "往期"})).text
    assert "往期讲座" in searched
    assert '<a class="button" href="/?past=true">清除</a>' in searched  # stays on 往期活动
    # The tabs keep the words searched for.
    assert 'href="/?q=%E5%BE%80%E6%9C%9F"' in searched
    assert 'href="/?q=%E5%BE%80%E6%9C%9F&amp;past=true" aria-current="page"' in searched
    upcoming = (await client.get("/", params={"q": "人工智能"})).text
    assert '<a class="button" href="/">清除</a>' in upcoming
    assert 'href="/?q=%E4%BA%BA%E5%B7%A5%E6%99%BA%E8%83%BD&amp;past=true"' in upcoming


async def test_the_share_link_is_on_the_page_without_javascript(client):
    event = await make_event()
    html = (await client.get(f"/events/{event['id']}")).text
    box = re.search(r'<p class="share-fallback">.*?</p>', html, re.S)
    assert box, "the link box is hidden or missing"
    url = f"http://testserver.local/events/{event['id']}"
    assert f'id="share-url" type="url" readonly value="{url}"' in box.group(0)
    # The button that needs share.js is hidden until the script shows it.
    assert re.search(r"<button[^>]*data-share hidden", html)
    assert "📅" not in html and "🔗" not in html
    assert html.count('class="icon" aria-hidden="true"') == 2


async def test_a_cancelled_event_offers_no_calendar_or_sharing(client):
    event = await make_event()
    await scheduling.update_event(event["id"], {"status": "cancelled"}, actor=None)
    html = (await client.get(f"/events/{event['id']}")).text
    assert "本活动已取消。" in html
    for gone in ("加入日历", "分享活动", "calendar.ics", "share-url", "share.js"):
        assert gone not in html, gone


async def test_times_do_not_break_inside_a_range(client):
    event = await make_event()
    html = (await client.get(f"/events/{event['id']}")).text
    assert '<span class="nowrap">14:00–16:00</span>' in html
    assert '<span class="nowrap">14:00–16:00</span>' in (await client.get("/")).text
