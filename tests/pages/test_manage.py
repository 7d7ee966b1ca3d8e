"""The organizer pages: event list, the create/edit form, detail actions, the audit log."""

import re
from datetime import datetime, timedelta

import pytest

from events.core.timeutil import TZ
from events.scheduling import scheduling
from events.tables import AuditLog, Event
from tests.conftest import make_user


async def login(client, role, username=None):
    """Sign in through the login page (CSRF cookie first, then the form)."""
    user = await make_user(role, username)
    await client.get("/login")
    response = await client.post(
        "/login",
        data={
            "username": user["username"],
            "password": "password-123",
            "_csrf_token": client.cookies["csrftoken"],
        },
        follow_redirects=False,
    )
    assert response.status_code in (302, 303), response.text
    return user


async def post_form(client, url, data=None, **kwargs):
    body = {**(data or {}), "_csrf_token": client.cookies["csrftoken"]}
    return await client.post(url, data=body, follow_redirects=False, **kwargs)


def local_input(days=10, hour=14):
    """A datetime-local value `days` from now in Shanghai."""
    start = datetime.now(TZ).replace(hour=hour, minute=0, second=0, microsecond=0)
    return (start + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def event_form(**change):
    form = {
        "title": "科普墅·人工智能讲座",
        "kind": "lecture",
        "series": "科普墅",
        "description": "第一段\r\n第二段",
        "venue": "运河科创中心报告厅",
        "address": "莫干山路 100 号",
        "street": "湖墅街道",
        "organizer_unit": "拱墅区科学技术协会",
        "starts_at": local_input(10, 14),
        "ends_at": local_input(10, 16),
        "capacity": "80",
        "max_party_size": "2",
        "waitlist": "true",
        "registration_opens_at": "",
        "registration_closes_at": "",
        "status": "published",
    }
    form.update(change)
    return {key: value for key, value in form.items() if value is not None}


async def make_event(**change):
    start = datetime.now(TZ).replace(microsecond=0) + timedelta(days=5)
    raw = {
        "title": "快墅转·成果对接会",
        "kind": "matching",
        "venue": "新质成果转化中心",
        "starts_at": start,
        "ends_at": start + timedelta(hours=2),
        "capacity": 10,
    }
    raw.update(change)
    return await scheduling.create_event(raw, None)


async def actions_for(event_id):
    rows = await AuditLog.select(AuditLog.action).where(
        (AuditLog.object_type == "event") & (AuditLog.object_id == event_id)
    )
    return [row["action"] for row in rows]


def new_id(response):
    match = re.match(r"^/manage/events/(\d+)", response.headers["location"])
    assert match, response.headers["location"]
    return int(match.group(1))


async def test_anonymous_visitor_is_sent_to_login(client, db):
    response = await client.get("/manage/", follow_redirects=False)
    assert response.status_code in (302, 303)
    assert response.headers["location"].startswith("/login?next=/manage")


async def test_staff_gets_workbench_but_not_the_event_form(client, db):
    await make_event(title="今天之后的讲座")
    await make_event(title="草稿不显示", status="draft")
    await login(client, "staff")
    home = await client.get("/manage/")
    assert home.status_code == 200
    assert "工作台" in home.text and "今天之后的讲座" in home.text
    assert "草稿不显示" not in home.text and "/manage/events/new" not in home.text
    assert (await client.get("/manage/events/new")).status_code == 403
    assert (await post_form(client, "/manage/events/new", event_form())).status_code == 403


async def test_organizer_creates_event_through_the_form(client, db):
    await login(client, "organizer")
    page = await client.get("/manage/events/new")
    assert page.status_code == 200
    assert 'name="_csrf_token"' in page.text and 'type="datetime-local"' in page.text
    assert "湖墅街道" in page.text and "<datalist" in page.text
    response = await post_form(client, "/manage/events/new", event_form())
    assert response.status_code == 303
    assert response.headers["location"].endswith("?done=created")
    event_id = new_id(response)
    row = await scheduling.get_event(event_id)
    assert row["description"] == "第一段\n第二段" and row["max_party_size"] == 2
    assert row["registration_opens_at"] is None and row["street"] == "湖墅街道"
    detail = await client.get(response.headers["location"])
    assert "活动已创建" in detail.text and f"/events/{event_id}" in detail.text
    listed = (await client.get("/api/v1/events")).json()["items"]
    assert [item["title"] for item in listed] == ["科普墅·人工智能讲座"]
    assert await actions_for(event_id) == ["event.create"]


async def test_invalid_form_is_422_with_messages_next_to_fields(client, db):
    await login(client, "organizer")
    form = event_form(
        title="",
        capacity="0",
        venue="我输入的场地",
        starts_at=local_input(10, 16),
        ends_at=local_input(10, 14),
        waitlist=None,
    )
    response = await post_form(client, "/manage/events/new", form)
    assert response.status_code == 422
    html = response.text
    assert re.search(r'id="f-title-error">此项必填<', html)
    assert re.search(r'id="f-capacity-error">应在 1 到 100000 之间<', html)
    assert re.search(r'id="f-ends_at-error">结束时间必须晚于开始时间<', html)
    assert re.search(
        r'id="f-title"[^>]*aria-describedby="f-title-error"[^>]*aria-invalid="true"', html
    )
    assert 'value="我输入的场地"' in html and f'value="{form["starts_at"]}"' in html
    assert 'value="0"' in html and 'id="f-waitlist"' in html
    assert not re.search(r'id="f-waitlist"[^>]*checked', html)
    assert await Event.count() == 0


async def test_missing_kind_asks_to_choose(client, db):
    await login(client, "organizer")
    response = await post_form(client, "/manage/events/new", event_form(kind=""))
    assert response.status_code == 422
    assert 'id="f-kind-error">请选择活动类型<' in response.text


async def test_draft_is_hidden_until_published_from_the_detail_page(client, db):
    await login(client, "organizer")
    created = await post_form(client, "/manage/events/new", event_form(status="draft"))
    event_id = new_id(created)
    assert (await client.get("/api/v1/events")).json()["items"] == []
    detail = await client.get(f"/manage/events/{event_id}")
    assert f'action="/manage/events/{event_id}/publish"' in detail.text
    published = await post_form(client, f"/manage/events/{event_id}/publish")
    assert published.status_code == 303
    assert published.headers["location"] == f"/manage/events/{event_id}?done=published"
    assert len((await client.get("/api/v1/events")).json()["items"]) == 1
    assert await actions_for(event_id) == ["event.create", "event.publish"]
    again = await post_form(client, f"/manage/events/{event_id}/publish")
    assert again.status_code == 303  # a second click changes nothing and logs nothing
    assert await actions_for(event_id) == ["event.create", "event.publish"]


async def test_edit_keeps_values_and_logs_before_and_after(client, db):
    event = await make_event(title="旧标题")
    await login(client, "organizer")
    page = await client.get(f"/manage/events/{event['id']}/edit")
    assert page.status_code == 200 and 'value="旧标题"' in page.text
    form = event_form(title="新标题", capacity="30")
    form.pop("status")
    response = await post_form(client, f"/manage/events/{event['id']}/edit", form)
    assert response.status_code == 303
    row = await scheduling.get_event(event["id"])
    assert row["title"] == "新标题" and row["capacity"] == 30
    detail = await client.get(f"/manage/events/{event['id']}")
    assert "修改活动" in detail.text and "<del>旧标题</del> → 新标题" in detail.text
    assert await actions_for(event["id"]) == ["event.create", "event.update"]


async def test_raising_capacity_says_who_moved_up(client, db):
    from events.registration import registration as reg

    event = await make_event(capacity=1)
    await reg.register(event["id"], {"name": "甲", "phone": "13900000001"})
    waiting = await reg.register(event["id"], {"name": "乙", "phone": "13900000002"})
    assert waiting["status"] == "waitlisted"
    await login(client, "organizer")
    form = event_form(capacity="2")
    form.pop("status")
    response = await post_form(client, f"/manage/events/{event['id']}/edit", form)
    assert response.headers["location"].endswith("?done=saved_promoted")
    page = await client.get(response.headers["location"])
    assert "已按登记顺序递补给候补" in page.text
    again = await post_form(client, f"/manage/events/{event['id']}/edit", form)
    assert again.headers["location"].endswith("?done=saved")


async def test_capacity_below_confirmed_shows_the_conflict(client, db):
    event = await make_event(capacity=10)
    await Event.update({Event.confirmed: 5}).where(Event.id == event["id"])
    await login(client, "organizer")
    form = event_form(capacity="3", max_party_size="1")
    response = await post_form(client, f"/manage/events/{event['id']}/edit", form)
    assert response.status_code == 409
    assert "名额不能少于已确认的 5 个座位" in response.text and 'value="3"' in response.text
    assert (await scheduling.get_event(event["id"]))["capacity"] == 10


async def test_cancel_asks_for_confirmation_then_cancels(client, db):
    event = await make_event()
    await login(client, "organizer")
    unconfirmed = await post_form(client, f"/manage/events/{event['id']}/cancel")
    assert unconfirmed.status_code == 422 and "请勾选确认" in unconfirmed.text
    assert (await scheduling.get_event(event["id"]))["status"] == "published"
    response = await post_form(client, f"/manage/events/{event['id']}/cancel", {"confirm": "true"})
    assert response.status_code == 303
    assert (await scheduling.get_event(event["id"]))["status"] == "cancelled"
    publish = await post_form(client, f"/manage/events/{event['id']}/publish")
    assert publish.status_code == 409 and "活动已取消，不能再修改" in publish.text
    edit = await post_form(client, f"/manage/events/{event['id']}/edit", event_form())
    assert edit.status_code == 409 and "活动已取消，不能再修改" in edit.text
    assert await actions_for(event["id"]) == ["event.create", "event.cancel"]


async def test_duplicate_makes_a_draft_seven_days_later(client, db):
    event = await make_event(series="快墅转")
    await login(client, "organizer")
    detail = await client.get(f"/manage/events/{event['id']}")
    assert 'name="days"' in detail.text and 'value="7"' in detail.text
    response = await post_form(client, f"/manage/events/{event['id']}/duplicate", {"days": "7"})
    assert response.status_code == 303
    assert response.headers["location"].endswith("/edit?done=duplicated")
    copy = await scheduling.get_event(new_id(response), include_unpublished=True)
    assert copy["status"] == "draft" and copy["series"] == "快墅转"
    assert copy["starts_at"] - event["starts_at"] == timedelta(days=7)
    edit = await client.get(response.headers["location"])
    assert "已复制为草稿" in edit.text
    assert await actions_for(copy["id"]) == ["event.create", "event.duplicate"]
    bad = await post_form(client, f"/manage/events/{event['id']}/duplicate", {"days": "0"})
    assert bad.status_code == 422 and 'id="f-days-error"' in bad.text


async def test_post_without_csrf_token_is_refused(client, db):
    await login(client, "organizer")
    response = await client.post("/manage/events/new", data=event_form(), follow_redirects=False)
    assert response.status_code == 403
    assert await Event.count() == 0


async def test_home_lists_counts_and_filters(client, db):
    published = await make_event(title="已发布的对接会", capacity=20)
    await Event.update({Event.confirmed: 20, Event.waitlisted: 3}).where(
        Event.id == published["id"]
    )
    await make_event(title="一场草稿", status="draft", kind="lecture")
    past_start = datetime.now(TZ).replace(microsecond=0) - timedelta(days=3)
    await make_event(
        title="往期讲座", starts_at=past_start, ends_at=past_start + timedelta(hours=1)
    )
    await login(client, "organizer")
    home = await client.get("/manage/")
    assert "已发布的对接会" in home.text and "一场草稿" in home.text
    assert "往期讲座" not in home.text and "已满 · 候补中" in home.text
    drafts = await client.get("/manage/?status=draft")
    assert "一场草稿" in drafts.text and "已发布的对接会" not in drafts.text
    found = await client.get("/manage/", params={"q": "对接"})
    assert "已发布的对接会" in found.text and "一场草稿" not in found.text
    past = await client.get("/manage/?past=true")
    assert "往期讲座" in past.text and "一场草稿" not in past.text
    lectures = await client.get("/manage/?kind=lecture")
    assert "一场草稿" in lectures.text and "已发布的对接会" not in lectures.text


async def test_audit_log_page_is_for_admins(client, db):
    event = await make_event(title="审计用活动")
    await login(client, "organizer")
    assert (await client.get("/manage/audit")).status_code == 403
    await login(client, "admin")
    page = await client.get("/manage/audit")
    assert page.status_code == 200
    assert "创建活动" in page.text and f'href="/manage/events/{event["id"]}"' in page.text
    assert "审计用活动" in page.text
    users_only = await client.get("/manage/audit?action=user.")
    assert users_only.status_code == 200
    assert (
        'title="user.create"' in users_only.text and 'title="event.create"' not in users_only.text
    )


async def test_home_pages_keep_the_filters(client, db, monkeypatch):
    from web.pages import manage

    monkeypatch.setattr(manage, "PAGE_SIZE", 1)
    past_start = datetime.now(TZ).replace(microsecond=0) - timedelta(days=3)
    for title in ("往期甲", "往期乙"):
        await make_event(title=title, starts_at=past_start, ends_at=past_start + timedelta(hours=1))
    await login(client, "organizer")
    first = await client.get("/manage/?past=true")
    assert 'href="/manage/?past=true&amp;page=2"' in first.text
    second = await client.get("/manage/?past=true&page=2")
    assert second.status_code == 200 and "上一页" in second.text


@pytest.mark.parametrize(
    "role, next_url, landing",
    [
        ("organizer", None, "/manage/stats"),
        ("admin", "", "/manage/stats"),
        ("staff", None, "/checkin"),
        ("judge", None, "/judge"),
        ("organizer", "/manage/users", "/manage/users"),
        ("staff", "//evil.example/x", "/checkin"),
    ],
)
async def test_each_role_lands_on_its_home_after_signing_in(client, db, role, next_url, landing):
    user = await make_user(role)
    await client.get("/login")
    data = {
        "username": user["username"],
        "password": "password-123",
        "_csrf_token": client.cookies["csrftoken"],
    }
    if next_url is not None:
        data["next"] = next_url
    response = await client.post("/login", data=data, follow_redirects=False)
    assert response.status_code in (302, 303)
    assert response.headers["location"] == landing


async def test_audit_log_labels_every_action_and_its_details(client, db):
    from events.accounts import audit
    from web.pages import audit_view

    event = await make_event(title="标签用活动")
    entries = [
        (
            "registration.create",
            "registration",
            7,
            None,
            {"event": event["id"], "status": "confirmed", "source": "walk_in"},
        ),
        (
            "export.unmasked",
            "event",
            event["id"],
            None,
            {"reason": "核对补贴名单", "format": "xlsx"},
        ),
        (
            "goals.set",
            "goals",
            2027,
            {"sessions.all": 10},
            {"sessions.all": 12, "attendance.lecture": 500},
        ),
        ("settings.retention", "setting", None, {"retention_days": 365}, {"retention_days": 180}),
        (
            "retention.anonymise",
            "registration",
            None,
            None,
            {"count": 3, "retention_days": 180, "ended_before": "2026-01-01T00:00:00+08:00"},
        ),
        (
            "demo.load",
            "demo",
            None,
            None,
            {"year": 2026, "events": 5, "users": ["admin"], "registrations": 40},
        ),
    ]
    for action, object_type, object_id, before, after in entries:
        await audit.record(None, action, object_type, object_id, before=before, after=after)
    await login(client, "admin")
    html = (await client.get("/manage/audit")).text
    shown = re.sub(r"<[^>]+>", " ", html)  # the text, not the title attributes
    for label in (
        "代为报名",
        "报名渠道",
        "现场",
        "导出完整手机号",
        "导出格式",
        "Excel",
        "原因",
        "设定年度目标",
        "全部活动 · 举办场次",
        "科普讲座 · 签到人数",
        "修改数据保留期限",
        "保留天数",
        "匿名化过期报名",
        "数量",
        "活动结束早于",
        "载入演示数据",
        "新增报名",
        "年度目标 #2027",
    ):
        assert label in shown, label
    for raw in (
        "复制自活动",
        "#walk_in",
        "export.unmasked",
        "goals.set",
        "retention.anonymise",
        "retention_days",
        "format",
        "count",
        "reason",
        "sessions.all",
    ):
        assert raw not in shown, raw
    assert 'title="export.unmasked"' in html and 'href="/manage/goals?year=2027"' in html
    # every action the code base writes has a label
    written = set()
    for path in ("events", "web"):
        for file in __import__("pathlib").Path(path).rglob("*.py"):
            written |= set(re.findall(r'audit\.record\(\s*\w+,\s*"([a-z_.]+)"', file.read_text()))
    written |= {"event.publish", "event.cancel", "event.update"}  # chosen in a dict
    assert written and written <= set(audit_view.ACTION_LABELS), written - set(
        audit_view.ACTION_LABELS
    )
    assert audit_view.action_label("something.new") == "something.new"


async def test_audit_log_filters_by_group_and_pages(client, db, monkeypatch):
    from events.accounts import audit

    monkeypatch.setattr(audit, "PAGE_SIZE", 2)  # the domain's page of the log
    for number in range(5):
        await audit.record(
            None, "export.unmasked", "event", number + 1, after={"reason": f"理由{number}"}
        )
    await audit.record(None, "token.revoke", "token", 9)
    await login(client, "admin")
    first = await client.get("/manage/audit?action=export")
    assert '<option value="export" selected>' in first.text
    assert "理由4" in first.text and "理由3" in first.text and "理由2" not in first.text
    assert "较新的记录" not in first.text and "注销令牌" not in first.text
    older = re.search(r'href="(/manage/audit\?action=export&amp;before=\d+)"', first.text)
    second = await client.get(older.group(1).replace("&amp;", "&"))
    assert "理由2" in second.text and "理由1" in second.text and "理由4" not in second.text
    newer = re.search(r'href="(/manage/audit\?action=export&amp;after=\d+)"', second.text)
    back = await client.get(newer.group(1).replace("&amp;", "&"))
    assert "理由4" in back.text and "理由3" in back.text and "理由2" not in back.text
    accounts = await client.get("/manage/audit?action=account")
    assert "注销令牌" in accounts.text and "理由4" not in accounts.text
    assert "最多显示 200 条" not in first.text


def test_the_audit_log_pages_leave_the_queries_to_the_domain():
    import grimp

    graph = grimp.build_graph("events", "web")
    assert not graph.direct_import_exists(importer="web.pages.audit_view", imported="events.tables")


async def test_workbench_today_matches_the_door(client, db):
    now = datetime.now(TZ).replace(microsecond=0)
    midnight = now.replace(hour=0, minute=0, second=0)
    # Over already, but it started today (as long as "now" is past 00:02 in Shanghai).
    start = max(midnight, now - timedelta(hours=3))
    await make_event(
        title="今天已结束的讲座", starts_at=start, ends_at=start + timedelta(minutes=1)
    )
    tomorrow = midnight + timedelta(days=1, hours=10)
    await make_event(title="明天的讲座", starts_at=tomorrow, ends_at=tomorrow + timedelta(hours=2))
    for role in ("staff", "judge"):
        await login(client, role)
        html = (await client.get("/manage/")).text
        today_part, later_part = html.split('id="wb-2"', 1)
        assert "今天已结束的讲座" in today_part and "今天没有活动。" not in today_part, role
        if now - midnight > timedelta(minutes=2):
            assert "已结束" in today_part
        assert "明天的讲座" in later_part and "今天已结束的讲座" not in later_part
