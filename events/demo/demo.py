"""Demo data: a realistic year of the bureau's programmes and four demo staff accounts.

`plan(year)` is a pure, deterministic list of the year's events (seeded `random.Random`);
`load()` adds what is missing. It is idempotent: an event whose (title, starts_at) exists is
skipped, and so is a user whose username exists (its password is left alone).
The Chinese content lives in `events.demo.content`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from events.accounts import audit
from events.accounts.accounts import ROLES, hash_password
from events.core.db import write_transaction
from events.core.timeutil import TZ, aware, now
from events.demo import content
from events.demo import contest as demo_contest
from events.demo import goals as demo_goals
from events.demo import registrations as demo_registrations
from events.tables import Event, Goal, StaffUser

DEMO_PASSWORD = "canal-demo-2026"  # noqa: S105 - published on purpose, demo only
# (username, role, display name)
DEMO_USERS: list[tuple[str, str, str]] = [
    ("admin", "admin", "演示管理员"),
    ("organizer", "organizer", "演示活动组织者"),
    ("staff", "staff", "演示现场工作人员"),
    ("judge", "judge", "演示评委"),
    # more judges for the demo contest (events.demo.contest), each with their own severity
    ("judge2", "judge", "演示评委·美术教研员"),
    ("judge3", "judge", "演示评委·少儿画家"),
    ("judge4", "judge", "演示评委·科普专家"),
    ("judge5", "judge", "演示评委·中学美术教师"),
]
CHUNK = 100  # rows per INSERT: 100 x 22 columns stays far below SQLite's variable limit
CANCELLED = 3
DRAFTS = 2
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
AFTERNOON = ((14, 0), (16, 30))
MORNING = ((9, 30), (11, 30))

# 春节 (the first day of the lunar year); the week around it has no events.
_FESTIVALS = (
    "2025-01-29 2026-02-17 2027-02-06 2028-01-26 2029-02-13 2030-02-03 2031-01-23 2032-02-11"
)
SPRING_FESTIVAL = {day.year: day for day in map(date.fromisoformat, _FESTIVALS.split())}


@dataclass(frozen=True)
class Summary:
    """What one `load()` added."""

    events: int = 0
    users: int = 0
    year: int = 0
    registrations: int = 0
    entries: int = 0  # contest entries

    def describe(self) -> str:
        return (
            f"演示数据：新增 {self.events} 场活动、{self.registrations} 条报名、"
            f"{self.entries} 件参赛作品、{self.users} 个账号 "
            f"(demo data: {self.events} events, {self.registrations} registrations,"
            f" {self.entries} contest entries, {self.users} accounts added)"
        )


def login_banner() -> str:
    width = max(len(username) for username, _, _ in DEMO_USERS) + 2
    lines = ["演示账号 Demo logins — 登录页 login page: /login"]
    for username, role, _ in DEMO_USERS:
        lines.append(f"  {username.ljust(width)}{ROLES[role]} ({role})")
    lines.append(f"  密码 password: {DEMO_PASSWORD}")
    lines.append("仅供演示，正式使用前请停用这些账号 (demo only: disable them before real use)")
    return "\n".join(lines)


# --- the calendar ---------------------------------------------------------------------------


def is_holiday(day: date) -> bool:
    """New Year's Day, the Spring Festival week, 1–5 May and 1–7 October."""
    festival = SPRING_FESTIVAL.get(day.year, date(day.year, 2, 10))
    if festival - timedelta(days=1) <= day <= festival + timedelta(days=6):
        return True
    return (
        (day.month, day.day) == (1, 1)
        or (day.month == 5 and day.day <= 5)
        or (day.month == 10 and day.day <= 7)
    )


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th (1–4) `weekday` of the month, moved a week away from a public holiday."""
    first = date(year, month, 1)
    day = first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    candidates = [day + timedelta(days=7 * k) for k in (0, 1, -1, 2, -2)]
    for candidate in candidates:
        if candidate.month == month and not is_holiday(candidate):
            return candidate
    return next(candidate for candidate in candidates if not is_holiday(candidate))


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=TZ)


class _Year:
    """Collects the events of one year; every random choice comes from one seeded generator."""

    def __init__(self, year: int) -> None:
        self.year = year
        self.rng = random.Random(year * 7919 + 530)
        self.rows: list[dict[str, Any]] = []

    def add(
        self,
        kind: str,
        series: str,
        title: str,
        description: str,
        place: content.Place,
        unit: str,
        day: date,
        hours: tuple[tuple[int, int], tuple[int, int]],
        capacity: int,
        party: int,
    ) -> dict[str, Any]:
        rng = self.rng
        starts, ends = _at(day, *hours[0]), _at(day, *hours[1])
        opens = _at(day - timedelta(days=rng.randint(14, 21)), 9)
        if starts.hour < 12:
            closes = _at(day - timedelta(days=1), 18)  # morning events: the evening before
        else:
            closes = starts - timedelta(hours=rng.choice((2, 3, 4)))
        venue, address, street = place
        row = {
            "kind": kind,
            "series": series,
            "title": title,
            "description": description,
            "venue": venue,
            "address": address,
            "street": street,
            "organizer_unit": unit,
            "starts_at": starts,
            "ends_at": ends,
            "capacity": capacity,
            "waitlist": True,
            "max_party_size": party,
            "registration_opens_at": opens,
            "registration_closes_at": closes,
            "status": "published",
            "family": kind == "study_trip",  # adults and children both take seats
            "ask_company": kind == "matching",
            "confirmed": 0,
            "waitlisted": 0,
            "created_at": opens - timedelta(days=rng.randint(3, 15), hours=rng.randint(0, 8)),
        }
        self.rows.append(row)
        return row

    def afternoon(self) -> tuple[tuple[int, int], tuple[int, int]]:
        return self.rng.choice((((14, 0), (16, 30)), ((14, 0), (16, 0)), ((14, 30), (16, 30))))


def _matching(y: _Year) -> None:
    """快墅转: the launch, a weekly Thursday session, a quarterly 概念验证 roadshow."""
    launch = _nth_weekday(y.year, 1, TUE, 2)
    sessions: list[tuple[date, tuple[str, str], content.Place, str]] = [
        (launch, content.MATCHING_LAUNCH, content.CENTRE, content.BUREAU)
    ]
    for month in (3, 6, 9, 12):
        day = _nth_weekday(y.year, month, TUE, 3)
        sessions.append((day, content.CONCEPT_PROOF, content.CENTRE, content.CENTRE_UNIT))
    order: list[int] = []
    day, weekly = launch + timedelta(days=(THU - launch.weekday()) % 7), 0
    while day <= date(y.year, 12, 28):
        if not is_holiday(day):
            if not order:
                order = list(range(len(content.MATCHING_THEMES)))
                y.rng.shuffle(order)
            theme = content.MATCHING_THEMES[order.pop()]
            if weekly % 2 == 0:
                place, unit = content.CENTRE, content.CENTRE_UNIT
            else:
                place = content.WORKSTATIONS[(weekly // 2) % len(content.WORKSTATIONS)]
                unit = content.BUREAU
            sessions.append((day, theme, place, unit))
            weekly += 1
        day += timedelta(days=7)
    sessions.sort(key=lambda session: session[0])
    number = 0
    for day, (theme, text), place, unit in sessions:
        if (theme, text) == content.MATCHING_LAUNCH:
            title, capacity = theme, 80
        else:
            number += 1
            title, capacity = f"“快墅转”第{number}期·{theme}", y.rng.randrange(40, 81, 10)
        text += f"本期活动在{place[0]}举行，每家企业限报 2 人。"
        y.add("matching", "快墅转", title, text, place, unit, day, AFTERNOON, capacity, 2)


def _popular_science(y: _Year) -> None:
    """科普墅: monthly lectures, parent-child study trips, the mobile science museum."""
    for month, (topic, text) in enumerate(content.LECTURES, start=1):
        place = content.LECTURE_VENUES[(month - 1) % len(content.LECTURE_VENUES)]
        day = _nth_weekday(y.year, month, SAT, 3)
        text += "讲座免费，每单最多 3 人，请凭报名凭证入场。"
        capacity = y.rng.randrange(150, 251, 10)
        title = f"科普墅前沿讲座｜{topic}"
        unit = content.SCIENCE_ASSOCIATION
        y.add("lecture", "科普墅", title, text, place, unit, day, ((14, 30), (16, 30)), capacity, 3)
    for month, topic, text, place in content.STUDY_TRIPS:
        day = _nth_weekday(y.year, month, SAT, 2)
        capacity = y.rng.choice((30, 35, 40))
        title = f"科普墅亲子研学｜{topic}"
        unit = content.SCIENCE_ASSOCIATION
        hours = ((9, 0), (11, 30))
        y.add("study_trip", "科普墅", title, text, place, unit, day, hours, capacity, 3)
    for month, title, text, place in content.MOBILE_MUSEUM:
        day = _nth_weekday(y.year, month, SAT, 4)
        unit = content.SCIENCE_ASSOCIATION
        y.add("other", "科普墅", title, text, place, unit, day, MORNING, 100, 3)


def _anti_cult(y: _Year) -> None:
    """墅正气: the drawing contest (submission window and awards) and the campaign month."""
    unit = content.SCIENCE_ASSOCIATION
    title, text, place = content.CONTEST_WINDOW
    day, hours = date(y.year, 3, 16), ((9, 0), (17, 0))
    window = y.add("contest", "墅正气", title, text, place, unit, day, hours, 1500, 1)
    window["ends_at"] = _at(date(y.year, 4, 30), 17)
    window["registration_opens_at"] = _at(date(y.year, 3, 9), 9)
    window["registration_closes_at"] = _at(date(y.year, 4, 29), 17)
    window["created_at"] = _at(date(y.year, 2, 27), 10)
    title, text, place = content.CONTEST_CEREMONY
    day = _nth_weekday(y.year, 6, SAT, 2)
    y.add("contest", "墅正气", title, text, place, unit, day, MORNING, 300, 3)
    title, text, place = content.ANTI_CULT_MONTH
    day = _nth_weekday(y.year, 4, SAT, 4)
    y.add("other", "墅正气", title, text, place, unit, day, MORNING, 200, 3)


def _policy(y: _Year) -> None:
    """政策宣讲: two to four briefings a month, Tuesday or Wednesday."""
    by_month: dict[int, list[tuple[str, str]]] = {}
    for month, topic, text in content.POLICY_TOPICS:
        by_month.setdefault(month, []).append((topic, text))
    for month, topics in by_month.items():
        for index, (topic, text) in enumerate(topics):
            nth = int((index + 0.5) * 4 / len(topics)) + 1
            day = _nth_weekday(y.year, month, y.rng.choice((TUE, WED)), nth)
            hours = y.afternoon() if y.rng.random() < 0.75 else MORNING
            place = y.rng.choice(content.POLICY_VENUES)
            if "上塘" in topic:  # the 上塘 session is held at the 上塘 workstation
                place = content.WORKSTATIONS[0]
            text += y.rng.choice(content.POLICY_CLOSINGS)
            capacity = y.rng.randrange(60, 151, 10)
            title = f"政策宣讲｜{topic}"
            y.add("policy", "政策宣讲", title, text, place, content.BUREAU, day, hours, capacity, 2)


def _training(y: _Year) -> None:
    """Science-communicator course (March–July), 高企 application and technology-broker training."""
    for month, (topic, text) in enumerate(content.COMMUNICATOR_TRAININGS, start=3):
        day = _nth_weekday(y.year, month, FRI, 3)
        title = f"“新质生产力”科学传播员培训·{topic}"
        text += content.COMMUNICATOR_CLOSING
        place, unit = content.COMMUNICATOR_PLACE, content.SCIENCE_ASSOCIATION
        y.add("training", "科学传播员培训", title, text, place, unit, day, AFTERNOON, 65, 1)
    seen: set[int] = set()
    for month, topic, text in content.APPLICATION_TRAININGS:
        day = _nth_weekday(y.year, month, WED, 3 if month in seen else 1)
        seen.add(month)
        title = f"国家高新技术企业申报培训·{topic}"
        text += content.APPLICATION_CLOSING
        place, capacity = content.POLICY_VENUES[1], y.rng.randrange(80, 101, 10)
        hours = y.rng.choice((MORNING, AFTERNOON))
        y.add("training", "申报培训", title, text, place, content.BUREAU, day, hours, capacity, 2)
    for month, title, text in content.BROKER_TRAININGS:
        text += content.BROKER_CLOSING
        day = _nth_weekday(y.year, month, FRI, 2)
        place, unit = content.CENTRE, content.CENTRE_UNIT
        y.add("training", "技术经纪人培训", title, text, place, unit, day, AFTERNOON, 50, 1)


def _gatherings(y: _Year) -> None:
    """530 全国科技工作者日 (on the weekday nearest 30 May) and the quarterly "三长" meetings."""
    day = date(y.year, 5, 30)
    day -= timedelta(days=max(day.weekday() - FRI, 0))
    unit = content.SCIENCE_ASSOCIATION
    (forum, forum_text), (talk, talk_text) = content.WORKERS_DAY
    place = content.LECTURE_VENUES[0]
    y.add("other", "全国科技工作者日", forum, forum_text, place, unit, day, AFTERNOON, 150, 1)
    place = content.COMMUNICATOR_PLACE
    y.add("other", "全国科技工作者日", talk, talk_text, place, unit, day, MORNING, 40, 1)
    places = [content.CENTRE, content.LECTURE_VENUES[1], content.LECTURE_VENUES[3]]
    places.append(content.COMMUNICATOR_PLACE)
    for (season, theme, text), month, place in zip(
        content.THREE_HEADS, (3, 6, 9, 12), places, strict=True
    ):
        day = _nth_weekday(y.year, month, FRI, 4)
        title = f"“三长”四季交流会·{season}：{theme}"
        text += content.THREE_HEADS_CLOSING
        y.add("other", "三长交流会", title, text, place, unit, day, AFTERNOON, 60, 1)


def plan(year: int) -> list[dict[str, Any]]:
    """Every event of the year's programme, ordered by start; the same list on every call."""
    y = _Year(year)
    for programme in (_matching, _popular_science, _anti_cult, _policy, _training, _gatherings):
        programme(y)
    return sorted(y.rows, key=lambda row: (row["starts_at"], row["title"]))


def _settle(rows: list[dict[str, Any]], at: datetime) -> None:
    """Statuses and creation times as they would stand at `at`: a few cancelled, the last
    events whose registration has not opened yet still drafts, nothing created in the future."""
    rng = random.Random(rows[0]["starts_at"].year * 31 + len(rows))
    cancellable = [i for i, row in enumerate(rows) if row["kind"] in ("matching", "policy")]
    for index in rng.sample(cancellable, CANCELLED):
        rows[index]["status"] = "cancelled"
    unopened = [
        row for row in rows if row["status"] == "published" and row["registration_opens_at"] > at
    ]
    for row in unopened[-DRAFTS:]:
        row["status"] = "draft"
    for index, row in enumerate(rows):
        row["created_at"] = min(row["created_at"], at - timedelta(days=1, hours=index % 24))
        row["updated_at"] = row["created_at"]
        if row["status"] == "cancelled":
            cancelled_at = min(at, row["starts_at"] - timedelta(days=2))
            row["updated_at"] = max(row["created_at"], cancelled_at)


LOOKAHEAD_DAYS = 60


def _key(title: str, starts_at: datetime) -> tuple[str, datetime]:
    return title, starts_at.astimezone(UTC).replace(microsecond=0)


async def _missing_users() -> list[tuple[str, str, str]]:
    names = [username for username, _, _ in DEMO_USERS]
    rows = await StaffUser.select(StaffUser.username).where(StaffUser.username.is_in(names))
    existing = {row["username"] for row in rows}
    return [user for user in DEMO_USERS if user[0] not in existing]


async def load(at: datetime | None = None, contest: bool = True) -> Summary:
    """Add the demo year (the year of `at`, by default now, in Asia/Shanghai) and accounts;
    `contest=False` leaves out the drawing contest's entries, judging and results (a few
    seconds of drawing and storing pictures that tests of other areas do without)."""
    at = aware(at) if at else now()
    year = at.astimezone(TZ).year
    # The year, plus what is already scheduled for the start of the next one, so that the
    # catalogue has upcoming events late in the year too.
    horizon = at + timedelta(days=LOOKAHEAD_DAYS)
    rows = plan(year) + [row for row in plan(year + 1) if row["starts_at"] < horizon]
    _settle(rows, at)
    # Argon2 is slow on purpose: hash once, outside the write transaction.
    password_hash = await hash_password(DEMO_PASSWORD) if await _missing_users() else ""
    async with write_transaction():
        users = await _missing_users() if password_hash else []
        if users:
            await StaffUser.insert(
                *(
                    StaffUser(
                        username=username,
                        role=role,
                        display_name=name,
                        password_hash=password_hash,
                    )
                    for username, role, name in users
                )
            )
        organizer = (
            await StaffUser.select(StaffUser.id).where(StaffUser.username == "organizer").first()
        )
        first = datetime(year, 1, 1, tzinfo=TZ) - timedelta(days=1)
        last = datetime(year + 2, 1, 1, tzinfo=TZ) + timedelta(days=1)
        existing = await Event.select(Event.title, Event.starts_at).where(
            (Event.starts_at >= first) & (Event.starts_at < last)
        )
        seen = {_key(row["title"], row["starts_at"]) for row in existing}
        new = [row for row in rows if _key(row["title"], row["starts_at"]) not in seen]
        for row in new:
            row["created_by"] = organizer["id"] if organizer else None
        for start in range(0, len(new), CHUNK):
            await Event.insert(*(Event(**row) for row in new[start : start + CHUNK]))
        stored = await Event.select().where((Event.starts_at >= first) & (Event.starts_at < last))
        by_key = {_key(row["title"], row["starts_at"]): row for row in stored}
        planned = [row for row in rows if _key(row["title"], row["starts_at"]) in by_key]
        events = [by_key[_key(row["title"], row["starts_at"])] for row in planned]
        added = await demo_registrations.add(events, planned, at, year)
        if new or users or added:
            after = {"year": year, "events": len(new), "users": [user[0] for user in users]}
            await audit.record(
                None, "demo.load", "demo", None, after={**after, "registrations": added}
            )
    # The drawing contest: entries, judging and results as they stand at `at` (its own
    # workflows, each with its own transaction).
    contest = await demo_contest.load(events, at, year) if contest else demo_contest.Added()
    # The bureau's targets for the demo year, unless goals were already set (an organizer's
    # edits survive another `events demo`).
    if not await Goal.exists().where(Goal.year == year):
        await demo_goals.load_goals(year)
    return Summary(
        events=len(new),
        users=len(users),
        year=year,
        registrations=added,
        entries=contest.entries,
    )
