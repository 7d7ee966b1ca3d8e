"""Goals, yearly figures and exports on both databases, against a fixture year with known
numbers (party sizes, check-ins, a cancelled event, a draft, the year's edges in Shanghai)."""

import csv
import io
import json
import re
from datetime import datetime, timedelta

import openpyxl
import pytest

from events.core.timeutil import TZ
from events.registration.registration import recount_events
from events.tables import AuditLog, Event, Registration

EVIL = '=HYPERLINK("http://evil.example","点我")'


async def _event(title, kind, starts, status="published", hours=2, **extra):
    rows = await Event.insert(
        Event(
            title=title,
            kind=kind,
            venue="运河会客厅",
            street=extra.pop("street", "小河街道"),
            organizer_unit=extra.pop("unit", "区科技局"),
            series=extra.pop("series", ""),
            starts_at=starts,
            ends_at=starts + timedelta(hours=hours),
            capacity=50,
            status=status,
            **extra,
        )
    ).returning(Event.id)
    return rows[0]["id"]


_phone = iter(range(1_000_000))


async def _people(event_id, *parties):
    """parties: (party_size, status, checked_in) tuples."""
    for number, (size, status, checked) in enumerate(parties):
        created = datetime(2025, 1, 5, 9, 0, tzinfo=TZ)
        await Registration.insert(
            Registration(
                event=event_id,
                name=EVIL if number == 0 else f"居民{number}",
                phone=f"13812{next(_phone):06d}",
                party_size=size,
                adults=size,
                children=0,
                status=status,
                seq=number + 1,
                ticket_token=f"t{event_id}x{number}xxxxxxxxxxxxxxxx",
                created_at=created,
                checked_in_at=created + timedelta(days=60) if checked else None,
            )
        )


@pytest.fixture
async def year_2025(db):
    a = await _event("快墅转·对接会", "matching", datetime(2025, 3, 10, 14, tzinfo=TZ))
    await _people(
        a,
        (2, "confirmed", True),
        (1, "confirmed", False),
        (3, "waitlisted", False),
        (1, "cancelled", False),
    )
    b = await _event("科普讲座·芯片", "lecture", datetime(2025, 6, 1, 14, tzinfo=TZ))
    await _people(b, (3, "confirmed", True), (1, "confirmed", True))
    c = await _event("科普讲座·取消", "lecture", datetime(2025, 7, 1, 14, tzinfo=TZ), "cancelled")
    await _people(c, (5, "confirmed", True))
    # Starts at 23:30 on 31 Dec in Shanghai (15:30 UTC): a 2025 event.
    d = await _event("跨年科普夜", "lecture", datetime(2025, 12, 31, 23, 30, tzinfo=TZ), hours=1)
    await _people(d, (2, "confirmed", True))
    # 00:30 on 1 Jan 2026 in Shanghai (16:30 UTC on 31 Dec 2025): a 2026 event.
    e = await _event("新年对接会", "matching", datetime(2026, 1, 1, 0, 30, tzinfo=TZ))
    await _people(e, (4, "confirmed", True))
    await _event("政策草稿", "policy", datetime(2025, 5, 1, 9, tzinfo=TZ), "draft")
    future = await _event("年末讲座", "lecture", datetime.now(TZ) + timedelta(days=10))
    await _people(future, (4, "confirmed", False), (2, "waitlisted", False))
    ids = {"a": a, "b": b, "c": c, "d": d, "e": e, "future": future}
    await recount_events(list(ids.values()))  # rows inserted directly: set the counters
    return ids


# Every metric of the contract: the fixture year's known figures, zero for the kinds it has
# no held (or only draft) events of.
EXPECTED_2025 = {
    f"{measure}.{kind}": 0
    for measure in ("sessions", "attendance", "registrations")
    for kind in (
        "all",
        "matching",
        "lecture",
        "study_trip",
        "contest",
        "training",
        "policy",
        "other",
    )
} | {
    "sessions.matching": 1,
    "sessions.lecture": 2,
    "sessions.policy": 0,
    "sessions.all": 3,
    "attendance.matching": 2,
    "attendance.lecture": 6,
    "attendance.all": 8,
    "registrations.matching": 3,
    "registrations.lecture": 6,
    "registrations.all": 9,
}


@pytest.fixture
async def organizer(token_for):
    return await token_for("organizer")


async def test_every_metric_of_the_fixture_year(client, organizer, year_2025):
    body = {"goals": [{"metric": m, "target": 5} for m in EXPECTED_2025]}
    put = await client.put("/api/v1/goals/2025", json=body, headers=organizer)
    assert put.status_code == 200, put.text
    got = (await client.get("/api/v1/goals/2025", headers=organizer)).json()
    assert got["year"] == 2025
    figures = {goal["metric"]: goal["actual"] for goal in got["goals"]}
    assert figures == EXPECTED_2025
    for goal in got["goals"]:
        assert goal["projected"] == goal["actual"]  # a past year ends as it stands
        assert goal["label"] and goal["target"] == 5
    assert await AuditLog.count().where(AuditLog.action == "goals.set") == 1


async def test_the_current_year_counts_upcoming_registrations_and_projects(
    client, organizer, year_2025
):
    year = datetime.now(TZ).year
    body = {
        "goals": [
            {"metric": "registrations.lecture", "target": 1},
            {"metric": "sessions.lecture", "target": 100},
            {"metric": "attendance.lecture", "target": 0},
        ]
    }
    await client.put(f"/api/v1/goals/{year}", json=body, headers=organizer)
    got = (await client.get(f"/api/v1/goals/{year}", headers=organizer)).json()
    by = {goal["metric"]: goal for goal in got["goals"]}
    assert by["registrations.lecture"]["actual"] == 4  # the upcoming lecture, confirmed only
    assert by["sessions.lecture"]["actual"] == 0
    assert by["sessions.lecture"]["projected"] >= 1  # the scheduled lecture
    for goal in got["goals"]:
        assert goal["projected"] >= goal["actual"]


async def test_goals_are_replaced(client, organizer, db):
    first = [
        {"metric": "sessions.matching", "target": 50},
        {"metric": "sessions.policy", "target": 30},
    ]
    await client.put("/api/v1/goals/2026", json={"goals": first}, headers=organizer)
    await client.put(
        "/api/v1/goals/2026",
        json={"goals": [{"metric": "attendance.lecture", "target": 2000}]},
        headers=organizer,
    )
    got = (await client.get("/api/v1/goals/2026", headers=organizer)).json()
    assert [(g["metric"], g["target"]) for g in got["goals"]] == [("attendance.lecture", 2000)]
    assert (await client.get("/api/v1/goals/2030", headers=organizer)).json()["goals"] == []


@pytest.mark.parametrize(
    "year, goals",
    [
        (1999, []),
        (2101, []),
        (2026, [{"metric": "sessions.party", "target": 1}]),
        (2026, [{"metric": "visits.all", "target": 1}]),
        (2026, [{"metric": "sessions.all", "target": -1}]),
        (2026, [{"metric": "sessions.all", "target": 1.5}]),
        (2026, [{"metric": "sessions.all", "target": "3"}]),
        (2026, [{"metric": "sessions.all"}]),
        (2026, [{"metric": "sessions.all", "target": 1}, {"metric": "sessions.all", "target": 2}]),
        (2026, "all"),
        (2026, [None]),
    ],
)
async def test_bad_goals_are_422(client, organizer, db, year, goals):
    response = await client.put(f"/api/v1/goals/{year}", json={"goals": goals}, headers=organizer)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid"


async def test_bad_years_and_roles(client, organizer, token_for, db):
    assert (await client.get("/api/v1/goals/1999", headers=organizer)).status_code == 422
    assert (await client.get("/api/v1/goals/abc", headers=organizer)).status_code in (404, 422)
    assert (await client.get("/api/v1/goals/2026")).status_code == 401
    staff = await token_for("staff")
    assert (await client.get("/api/v1/goals/2026", headers=staff)).status_code == 403
    export = await client.get("/api/v1/exports/attendance.csv?year=1800", headers=organizer)
    assert export.status_code == 422
    assert (
        await client.get("/api/v1/exports/attendance.csv", headers=organizer)
    ).status_code == 422


def _csv(response):
    assert response.content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _xlsx(response):
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    assert sheet.freeze_panes == "A2"
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


async def test_attendance_exports_carry_the_same_figures(client, organizer, year_2025):
    for kind, read in (("csv", _csv), ("xlsx", _xlsx)):
        response = await client.get(
            f"/api/v1/exports/attendance.{kind}?year=2025", headers=organizer
        )
        assert response.status_code == 200, response.text
        assert "attachment" in response.headers["content-disposition"]
        rows = read(response)
        header, body = rows[0], rows[1:]
        assert header[:4] == ["日期", "类型", "系列", "活动名称"]
        titles = [row[3] for row in body]
        assert titles == ["快墅转·对接会", "科普讲座·芯片", "科普讲座·取消", "跨年科普夜"]
        numbers = {row[3]: [_int(value) for value in row[8:12]] for row in body}
        assert numbers["快墅转·对接会"] == [50, 3, 2, 1]
        assert numbers["科普讲座·芯片"] == [50, 4, 4, 0]
        assert numbers["跨年科普夜"] == [50, 2, 2, 0]
        assert numbers["科普讲座·取消"][3] is None  # no no-shows for a cancelled event
        assert body[0][0] == "2025-03-10" and body[3][0] == "2025-12-31"


def _int(value):
    if value in (None, ""):
        return None
    return int(value)


async def test_registrant_exports_mask_phones_and_neutralise_formulas(client, organizer, year_2025):
    url = f"/api/v1/events/{year_2025['a']}/registrations"
    for kind, read in (("csv", _csv), ("xlsx", _xlsx)):
        response = await client.get(f"{url}.{kind}", headers=organizer)
        assert response.status_code == 200, response.text
        rows = read(response)
        assert rows[0][:4] == ["编号", "姓名", "手机号（隐去中间四位）", "人数"]
        assert len(rows) == 5
        assert not re.search(r"1[3-9]\d{9}", repr(rows))  # no full phone number anywhere
        assert all(row[2].startswith("138****") for row in rows[1:])
        assert rows[1][1] == "'" + EVIL  # inert: not a formula
        assert [_int(row[3]) for row in rows[1:]] == [2, 1, 3, 1]
        checked = rows[0].index("签到时间")
        assert rows[1][checked] and not rows[2][checked]  # checked in at / not
        # a lecture that asks for neither the company nor adults and children: no such columns
        assert "单位" not in rows[0] and "成人" not in rows[0]
    response = await client.get(f"{url}.xlsx", headers=organizer)
    cell = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]["B2"]
    assert cell.data_type == "s" and not str(cell.value).startswith("=")


async def test_unmasked_export_is_for_admins_with_a_reason(client, organizer, token_for, year_2025):
    url = f"/api/v1/events/{year_2025['a']}/registrations.csv?unmasked=true"
    assert (await client.get(url + "&reason=核对名单", headers=organizer)).status_code == 403
    admin = await token_for("admin")
    assert (await client.get(url, headers=admin)).status_code == 422
    response = await client.get(url + "&reason=区科技局核对补贴名单", headers=admin)
    assert response.status_code == 200
    rows = _csv(response)
    assert re.fullmatch(r"13812\d{6}", rows[1][2])
    logged = await AuditLog.select().where(AuditLog.action == "export.unmasked")
    after = logged[0]["after"]
    after = json.loads(after) if isinstance(after, str) else after
    assert len(logged) == 1 and after["reason"] == "区科技局核对补贴名单"


async def test_too_large_a_target_names_the_limit(client, organizer, db):
    from events.reporting import stats

    too_big = {"goals": [{"metric": "sessions.all", "target": stats.MAX_TARGET + 1}]}
    response = await client.put("/api/v1/goals/2026", json=too_big, headers=organizer)
    assert response.status_code == 422
    assert response.json()["fields"]["goals.0.target"] == "目标不能超过 10,000,000"
    fits = {"goals": [{"metric": "sessions.all", "target": stats.MAX_TARGET}]}
    assert (await client.put("/api/v1/goals/2026", json=fits, headers=organizer)).status_code == 200
