"""The public catalogue and event pages, as a phone would fetch them."""

from datetime import datetime, timedelta

from events import scheduling
from events.timeutil import TZ


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
