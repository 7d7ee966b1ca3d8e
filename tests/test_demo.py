"""The demo data: a realistic, valid, idempotent year of the bureau's programmes."""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from datetime import datetime, timedelta

from events.accounts import accounts
from events.contests.tables import Assignment, Contest, Entry
from events.core.errors import Invalid
from events.core.kinds import KINDS, ORGANIZER_UNITS, STREETS
from events.core.phones import MOBILE
from events.core.timeutil import TZ, local, now
from events.demo import contest as demo_contest
from events.demo import demo
from events.demo import registrations as demo_registrations
from events.registration.form import clean_registration
from events.scheduling.scheduling import EDITABLE, clean_event_fields
from events.tables import AuditLog, Event, OutboxMessage, Question, Registration, StaffUser

# The reference moment of the issue: Saturday 28 November 2026, afternoon, in Hangzhou.
AT = datetime(2026, 11, 28, 15, 30, tzinfo=TZ)
WORKSTATIONS = {place[0] for place in demo.content.WORKSTATIONS}


async def _events() -> list[dict]:
    return await Event.select().order_by(Event.starts_at)


def test_plan_is_deterministic_for_any_year():
    for year in range(2025, 2033):
        rows = demo.plan(year)
        assert rows == demo.plan(year)
        kinds = Counter(row["kind"] for row in rows)
        assert kinds["matching"] >= 50
        assert kinds["policy"] >= 30
        assert kinds["lecture"] >= 10
        assert kinds["study_trip"] >= 3
        assert len({row["title"] for row in rows}) == len(rows)
        assert {local(row["starts_at"]).year for row in rows} == {year}
        assert not any(demo.is_holiday(local(row["starts_at"]).date()) for row in rows)


async def test_loading_twice_adds_nothing_the_second_time(db):
    first = await demo.load(at=AT)
    assert first.year == 2026
    upcoming_2027 = [r for r in demo.plan(2027) if r["starts_at"] < AT + timedelta(days=60)]
    assert upcoming_2027, "the start of next year's programme is loaded too"
    assert first.events == len(demo.plan(2026)) + len(upcoming_2027)
    assert first.users == len(demo.DEMO_USERS) == 8
    assert first.entries == await Entry.count() == demo_contest.ENTRIES
    assert await Event.count() == first.events
    before = await _contest_state()
    audits = await AuditLog.count()
    second = await demo.load(at=AT)
    assert (second.events, second.users, second.entries) == (0, 0, 0)
    assert await Event.count() == first.events
    assert await StaffUser.count() == len(demo.DEMO_USERS)
    assert await AuditLog.count().where(AuditLog.action == "demo.load") == 1
    assert await AuditLog.count() == audits  # nothing was configured, judged or published again
    assert await _contest_state() == before
    assert await OutboxMessage.count() == 0  # demo data sends nobody a message
    assert first.registrations == await Registration.count() > 5000
    assert second.registrations == 0


async def test_load_without_arguments_uses_this_year(db):
    summary = await demo.load(contest=False)
    assert summary.year == local(now()).year
    assert summary.events >= 120
    assert "演示数据：新增" in summary.describe()
    again = await demo.load(contest=False)
    assert (again.events, again.users) == (0, 0)
    assert await Entry.count() == 0  # contest=False leaves the contest out


async def test_the_year_holds_every_programme(db):
    await demo.load(at=AT, contest=False)
    rows = [row for row in await _events() if local(row["starts_at"]).year == 2026]
    kinds = Counter(row["kind"] for row in rows)
    assert set(kinds) == set(KINDS)
    assert kinds["matching"] >= 50
    assert kinds["policy"] >= 30
    assert kinds["lecture"] >= 10
    assert kinds["study_trip"] >= 3
    assert kinds["contest"] >= 1
    assert kinds["training"] >= 9
    series = Counter(row["series"] for row in rows)
    assert series["科学传播员培训"] == 5
    assert series["申报培训"] == 4
    assert series["三长交流会"] == 4
    for row in rows:
        expected = {
            "matching": "快墅转",
            "policy": "政策宣讲",
            "lecture": "科普墅",
            "study_trip": "科普墅",
            "contest": "墅正气",
        }.get(row["kind"])
        assert expected is None or row["series"] == expected, row["title"]
    contest = [row["title"] for row in rows if row["kind"] == "contest"]
    assert any("颁奖" in title for title in contest)
    assert all("第五届杭州市青少年反邪教绘画大赛" in title for title in contest)
    assert any(row["title"].startswith("530全国科技工作者日") for row in rows)
    matching_venues = {row["venue"] for row in rows if row["kind"] == "matching"}
    assert "杭州（拱墅）新质成果转化中心" in matching_venues
    assert WORKSTATIONS <= matching_venues
    assert {local(row["starts_at"]).month for row in rows} == set(range(1, 13))
    assert len(rows) == len(demo.plan(2026))


async def test_every_event_is_valid(db):
    await demo.load(at=AT, contest=False)
    rows = await _events()
    assert rows
    for row in rows:
        clean = clean_event_fields({name: row[name] for name in EDITABLE})
        assert clean["starts_at"] == row["starts_at"]
        assert row["street"] in STREETS
        assert row["organizer_unit"] in ORGANIZER_UNITS
        assert row["address"].startswith("拱墅区")
        assert row["status"] in ("published", "cancelled", "draft")
        assert row["family"] == (row["kind"] == "study_trip")
        assert row["ask_company"] == (row["kind"] == "matching")
        assert 1 <= row["max_party_size"] <= 3
        assert re.search("[\u4e00-\u9fff]", row["title"])
        assert 2 <= len(re.findall("[。！？]", row["description"])) <= 4, row["title"]
        opens, closes = row["registration_opens_at"], row["registration_closes_at"]
        assert row["created_at"] < opens < closes <= row["ends_at"]
        assert row["created_at"] <= AT
        start = local(row["starts_at"])
        if row["kind"] == "matching":
            assert 40 <= row["capacity"] <= 80 and row["max_party_size"] == 2
            assert start.weekday() < 5 and start.hour == 14
        if row["kind"] in ("policy", "training"):
            assert start.weekday() < 5
        if row["kind"] == "study_trip":
            assert start.weekday() == 5 and start.hour < 12
            assert 30 <= row["capacity"] <= 40 and row["max_party_size"] == 3
        if row["kind"] == "lecture":
            assert 150 <= row["capacity"] <= 250 and row["max_party_size"] == 3
        if "作品征集" not in row["title"]:
            assert closes < row["starts_at"]
            assert 14 <= (row["starts_at"] - opens).days <= 22


async def test_past_and_upcoming_events(db):
    await demo.load(at=AT, contest=False)
    rows = await _events()
    published = [row for row in rows if row["status"] == "published"]
    assert sum(row["ends_at"] < AT for row in published) >= 50
    # Only December is left of the year on 28 November: about ten sessions.
    assert sum(row["starts_at"] > AT for row in published) >= 8
    assert sum(row["status"] == "cancelled" for row in rows) == demo.CANCELLED
    drafts = [row for row in rows if row["status"] == "draft"]
    assert 1 <= len(drafts) <= 2
    assert all(row["registration_opens_at"] > AT for row in drafts)


async def test_demo_users_can_log_in(db):
    await demo.load(at=AT, contest=False)
    for username, role, _ in demo.DEMO_USERS:
        user = await accounts.authenticate(username, demo.DEMO_PASSWORD)
        assert user is not None, username
        assert user["role"] == role
        assert await accounts.authenticate(username, "wrong-password") is None
    organizer = await StaffUser.select(StaffUser.id).where(StaffUser.username == "organizer")
    assert await Event.count().where(Event.created_by == organizer[0]["id"]) == await Event.count()


async def test_an_existing_account_is_left_alone(db):
    await accounts.create_user("admin", "admin", "my-own-password")
    summary = await demo.load(at=AT, contest=False)
    assert summary.users == len(demo.DEMO_USERS) - 1
    assert await accounts.authenticate("admin", demo.DEMO_PASSWORD) is None
    assert await accounts.authenticate("admin", "my-own-password") is not None
    assert await accounts.authenticate("judge", demo.DEMO_PASSWORD) is not None


def test_summary_and_login_banner():
    text = demo.Summary(events=120, users=4, year=2026, registrations=8000, entries=300).describe()
    assert text == (
        "演示数据：新增 120 场活动、8000 条报名、300 件参赛作品、4 个账号 "
        "(demo data: 120 events, 8000 registrations, 300 contest entries, 4 accounts added)"
    )
    banner = demo.login_banner()
    assert "/login" in banner
    assert demo.DEMO_PASSWORD in banner
    for username, _, _ in demo.DEMO_USERS:
        assert username in banner


async def _registrations() -> dict[int, list[dict]]:
    rows = await Registration.select().order_by(Registration.seq)
    by_event: dict[int, list[dict]] = {}
    for row in rows:
        by_event.setdefault(row["event"], []).append(row)
    return by_event


async def test_counters_equal_the_registrations(db):
    await demo.load(at=AT, contest=False)
    by_event = await _registrations()
    for event in await _events():
        rows = by_event.get(event["id"], [])
        confirmed = sum(r["party_size"] for r in rows if r["status"] == "confirmed")
        waiting = [r for r in rows if r["status"] == "waitlisted"]
        assert event["confirmed"] == confirmed <= event["capacity"], event["title"]
        assert event["waitlisted"] == sum(r["party_size"] for r in waiting)
        assert event["waiting"] == len(waiting)
        assert event["registration_seq"] == len(rows)
        assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1))
        # Nobody waits who would fit in the seats left (promotion would have taken them).
        assert all(r["party_size"] > event["capacity"] - confirmed for r in waiting)
        if event["status"] == "cancelled":
            assert all(r["cancelled_by"] == "event" for r in rows) and confirmed == 0
        if event["status"] == "draft" or event["registration_opens_at"] > AT:
            assert rows == [], event["title"]
    assert await OutboxMessage.count() == 0  # demo data sends nobody a message


async def test_past_events_are_mostly_booked_and_popular_ones_have_a_waitlist(db):
    await demo.load(at=datetime(2026, 12, 10, 15, 30, tzinfo=TZ), contest=False)
    events = [e for e in await _events() if e["status"] == "published"]
    past = [e for e in events if e["ends_at"] < AT]
    assert len(past) >= 50
    for event in past:
        assert 0.6 <= event["confirmed"] / event["capacity"] <= 1.0, event["title"]
    at = datetime(2026, 12, 10, 15, 30, tzinfo=TZ)
    upcoming = [e for e in events if e["starts_at"] > at and e["registration_opens_at"] <= at]
    lectures = [e for e in upcoming if e["kind"] == "lecture"]
    assert lectures, "a lecture is open for registration on 10 December"
    for lecture in lectures:
        assert lecture["confirmed"] == lecture["capacity"] and 5 <= lecture["waiting"] <= 30
    partly = [e for e in upcoming if e["kind"] in ("matching", "policy")]
    assert partly and all(0 < e["confirmed"] < e["capacity"] for e in partly)
    by_event = await _registrations()
    cancelled = [r for rows in by_event.values() for r in rows if r["cancelled_by"] == "self"]
    assert cancelled and all(r["cancelled_at"] >= r["created_at"] for r in cancelled)
    checked_in = [r for e in past for r in by_event[e["id"]] if r["checked_in_at"]]
    assert len(checked_in) > 1000


async def test_registrations_look_real_and_pass_the_form(db):
    await demo.load(at=AT, contest=False)
    events = {e["id"]: e for e in await _events()}
    by_event = await _registrations()
    for event_id, rows in by_event.items():
        event = events[event_id]
        phones = [r["phone"] for r in rows]
        assert len(set(phones)) == len(phones), event["title"]  # unique per event
        for r in rows:
            assert MOBILE.match(r["phone"]) and 2 <= len(r["name"]) <= 3
            assert re.fullmatch("[\u4e00-\u9fff]+", r["name"])
            assert r["party_size"] == r["adults"] + r["children"] <= event["max_party_size"]
            assert r["adults"] >= 1 and r["created_at"] <= AT
            if r["checked_in_at"]:  # nobody arrives before registering, or after the end
                assert r["created_at"] < r["checked_in_at"] <= event["ends_at"], event["title"]
            if event["ask_company"]:
                assert r["company"].endswith("有限公司")
            if not event["family"]:
                assert r["children"] == 0
    trips = [e for e in events.values() if e["family"] and by_event.get(e["id"])]
    assert trips and any(r["children"] for e in trips for r in by_event[e["id"]])
    questions = {q["event"]: q for q in await Question.select()}
    assert {events[e]["kind"] for e in questions} == {"matching", "study_trip"}
    for event_id, rows in list(by_event.items())[:25]:
        for r in rows[:8]:
            body = {key: r[key] for key in ("name", "phone", "company", "email", "adults")}
            body.update(children=r["children"], party_size=r["party_size"])
            body["answers"] = json.loads(r["answers"]) if isinstance(r["answers"], str) else {}
            try:
                await clean_registration(events[event_id], body)
            except Invalid as error:  # pragma: no cover - the message says which
                raise AssertionError(f"{events[event_id]['title']}: {error.fields}") from error


def test_the_pool_of_residents_is_deterministic():
    pool = demo_registrations.people(2026)
    assert pool == demo_registrations.people(2026) != demo_registrations.people(2027)
    assert len({p["phone"] for p in pool}) == len(pool) == demo_registrations.POOL_SIZE
    assert 0.6 < sum(bool(p["company"]) for p in pool) / len(pool) < 0.8
    surnames = Counter(p["name"][0] for p in pool)
    assert surnames.most_common(1)[0][0] in "王李张刘陈"


async def test_registrations_are_added_only_to_events_without_them(db):
    first = await demo.load(at=AT, contest=False)
    count = await Registration.count()
    event = await Event.select().where(Event.registration_seq > 0).first()
    await Registration.delete().where(Registration.event == event["id"])
    await Event.update({Event.registration_seq: 0}).where(Event.id == event["id"])
    again = await demo.load(at=AT, contest=False)
    assert again.events == 0 and 0 < again.registrations < first.registrations
    assert await Registration.count() == count - event["registration_seq"] + again.registrations
    assert (await demo.load(at=AT, contest=False)).registrations == 0


# ---- the drawing contest -----------------------------------------------------------------------

CONTEST_TITLE = demo.content.CONTEST_WINDOW[0]


async def _contest_event() -> dict:
    return await Event.select().where(Event.title == CONTEST_TITLE).first()


async def _contest_state() -> tuple:
    """Everything the demo's contest holds, to compare before and after another load."""
    contest = await Contest.select().first()
    entries = await Entry.select().order_by(Entry.id)
    assignments = await Assignment.select().order_by(Assignment.id)
    return contest, entries, assignments


async def test_the_contest_is_judged_in_may_and_published_by_the_end_of_november(client, db):
    from events.contests import ranking
    from events.contests.storage import storage

    # 12 May: judging under way, results not out.
    judging = datetime(2026, 5, 12, 12, 0, tzinfo=TZ)
    await demo.load(at=judging)
    assert (await Contest.select().first())["published_at"] is None
    rows = await Assignment.select()
    scored = [row for row in rows if row["scored_at"] is not None]
    assert 0 < len(scored) < len(rows)
    assert all(row["scored_at"] <= judging for row in scored)
    statuses = {row["status"] for row in await Entry.select(Entry.status)}
    assert statuses == {"submitted", "withdrawn", "rejected"}
    # Later, the demo completes what is due by then: every score, then the results.
    later = await demo.load(at=AT)
    assert later.entries == 0  # (events of the next year are added: a later moment)
    event = await _contest_event()
    contest = await Contest.select().where(Contest.event == event["id"]).output(load_json=True)
    contest = contest[0]
    when = demo_contest.timeline(event)
    assert (contest["submissions_open_at"], contest["submissions_close_at"]) == (
        event["starts_at"],
        event["ends_at"],
    )  # the window is the event's, put back after the workflows' steps
    assert [g["name"] for g in contest["groups"]] == [
        "小学低年级组",
        "小学高年级组",
        "初中组",
        "高中组",
    ]
    assert [(g["min_grade"], g["max_grade"]) for g in contest["groups"]] == [
        (1, 3),
        (4, 6),
        (7, 9),
        (10, 12),
    ]
    assert len(contest["criteria"]) >= 3 and contest["judges_per_entry"] == 3
    assert contest["selection_share"] == 0.2 and contest["published_at"] == when.published
    entries = await Entry.select().where(Entry.event == event["id"]).order_by(Entry.id)
    assert len(entries) == demo_contest.ENTRIES
    statuses = Counter(entry["status"] for entry in entries)
    assert statuses["withdrawn"] == demo_contest.WITHDRAWN
    assert statuses["rejected"] == len(demo_contest.REJECTIONS) + demo_contest.DUPLICATES
    assert set(statuses) == {"selected", "not_selected", "withdrawn", "rejected"}
    # The copies were flagged as the earlier entry's picture and rejected, saying which.
    copies = [entry for entry in entries if entry["duplicate_of"]]
    assert len(copies) == demo_contest.DUPLICATES
    codes = {entry["id"]: entry["code"] for entry in entries}
    for copy in copies:
        assert copy["status"] == "rejected" and copy["duplicate_of"] < copy["id"]
        assert codes[copy["duplicate_of"]] in copy["reject_reason"]
    # Plausible people, fake phones, schools of the district, times in the window.
    schools = set(demo_contest.PRIMARY_SCHOOLS + demo_contest.MIDDLE_SCHOOLS)
    schools |= set(demo_contest.HIGH_SCHOOLS)
    for entry in entries:
        assert re.fullmatch("[\u4e00-\u9fff]{2,4}", entry["child_name"])
        assert re.fullmatch("[\u4e00-\u9fff]{2,4}", entry["guardian_name"])
        assert re.fullmatch(r"139\d{8}", entry["guardian_phone"])
        assert entry["school"] in schools and 1 <= entry["grade"] <= 12
        assert when.opens <= entry["submitted_at"] < when.closes
        assert entry["image_key"] and entry["thumbnail_key"] and entry["phash"]
    assert len({entry["guardian_phone"] for entry in entries}) == len(entries)
    consent = sum(entry["gallery_consent"] for entry in entries) / len(entries)
    assert 0.5 < consent < 0.9
    submitted = [entry["submitted_at"] for entry in entries]
    assert submitted == sorted(submitted)  # codes follow the submission order
    # Every entry in the ranking was scored by three distinct judges, loads balanced.
    ranked = [entry for entry in entries if entry["status"] in ("selected", "not_selected")]
    assignments = await Assignment.select().where(Assignment.active == True)  # noqa: E712
    per_entry = Counter(row["entry"] for row in assignments)
    assert {per_entry[entry["id"]] for entry in ranked} == {3}
    assert all(row["scored_at"] and when.assigned <= row["scored_at"] for row in assignments)
    assert all(row["scored_at"] <= when.judged for row in assignments)
    loads = Counter(row["judge"] for row in assignments)
    assert len(loads) == len(demo_contest.JUDGES) and max(loads.values()) - min(loads.values()) <= 1
    # Judges differ in severity: the harsh one's mean is below the lenient one's.
    names = {row["id"]: row["username"] for row in await StaffUser.select()}
    means = {}
    for judge in loads:
        given = [row["weighted"] for row in assignments if row["judge"] == judge]
        means[names[judge]] = sum(given) / len(given)
    assert means["judge2"] + 1.5 < means["judge3"]
    # The demo judge's own page has their share of the entries, every one scored.
    from events.contests import judging as contest_judging

    judge = await StaffUser.select().where(StaffUser.username == "judge").first()
    queue = await contest_judging.queue(judge, event["id"])
    assert len(queue) == loads[judge["id"]]
    assert queue and all(item["scores"] for item in queue)
    # The selection follows the rule per group; awards and certificate codes are given.
    for group in contest["groups"]:
        members = [entry for entry in ranked if entry["group_code"] == group["code"]]
        chosen = [entry for entry in members if entry["status"] == "selected"]
        assert len(chosen) == ranking.quota(0.2, len(members)), group["name"]
        assert all(entry["award"] and entry["certificate_code"] for entry in chosen)
    assert await OutboxMessage.count() == 0  # the guardians are not told: demo data
    # A stored picture is served through /media/, cleaned (no EXIF), and really a JPEG.
    sample = next(entry for entry in ranked if entry["status"] == "selected")
    assert await storage().exists(sample["image_key"])
    response = await client.get(f"/media/{sample['thumbnail_key']}")
    assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
    from PIL import Image

    picture = Image.open(io.BytesIO(response.content))
    assert picture.format == "JPEG" and max(picture.size) <= 480 and not picture.getexif()
    # The public results list the selected works.
    results = await client.get(f"/api/v1/events/{event['id']}/results")
    assert results.status_code == 200, results.text
    assert len(results.json()["items"]) == statuses["selected"]


async def test_while_submissions_are_open_the_contest_has_entries_and_no_results(db):
    at = datetime(2026, 4, 10, 20, 0, tzinfo=TZ)
    summary = await demo.load(at=at)
    event = await _contest_event()
    contest = await Contest.select().where(Contest.event == event["id"]).first()
    entries = await Entry.select().where(Entry.event == event["id"])
    assert 30 < len(entries) == summary.entries < demo_contest.ENTRIES
    assert all(entry["submitted_at"] <= at for entry in entries)
    assert {entry["status"] for entry in entries} <= {"submitted", "withdrawn"}
    assert contest["published_at"] is None and await Assignment.count() == 0
    # the window is the demo's, open at `at`, whatever the clock says
    assert contest["submissions_open_at"] <= at < contest["submissions_close_at"]
    assert await OutboxMessage.count() == 0
    again = await demo.load(at=at)
    assert again.entries == 0 and await Entry.count() == len(entries)


async def test_before_the_window_opens_only_the_configuration_is_set(db):
    await demo.load(at=datetime(2026, 3, 1, 10, 0, tzinfo=TZ))
    assert await Contest.count() == 1
    assert await Entry.count() == 0 and await Assignment.count() == 0


def test_the_planned_entries_are_deterministic():
    when = demo_contest.timeline(
        {
            "starts_at": datetime(2026, 3, 16, 9, tzinfo=TZ),
            "ends_at": datetime(2026, 4, 30, 17, tzinfo=TZ),
        }
    )
    planned = demo_contest.plan(2026, when)
    assert planned == demo_contest.plan(2026, when) != demo_contest.plan(2027, when)
    assert len(planned) == demo_contest.ENTRIES
    titles = Counter(entry.fields["title"] for entry in planned)
    assert "崇尚科学 拒绝邪教" in titles and "我心中的科学家" in titles
    grades = Counter(int(entry.fields["grade"]) for entry in planned)
    assert set(grades) == set(range(1, 13)) and grades[3] > grades[11]
    first, second = planned[0], planned[1]
    assert demo_contest.photo(first, planned) == demo_contest.photo(first, planned)
    assert demo_contest.photo(first, planned) != demo_contest.photo(second, planned)
