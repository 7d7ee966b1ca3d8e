"""Goals, dashboard and exports at scale (issue 5): a year of 2,000 events, 1,000,000 registrations.

    .venv/bin/python bench/stats.py [--db sqlite|postgres|both] [--events 2000]
        [--registrations 1000000] [--export-rows 100000] [--requests 30] [--workers 2]
        [--page-budget 120] [--seed 2026] [--quiet-wait 60] [--quiet-cores 0.2]

For each database:

1. A fresh database (harness.session: a SQLite file in a temporary folder, or a PostgreSQL
   database `bench_stats_<random>`; removed at the end, also on an error or Ctrl-C) and
   `events migrate`. Then a year of data for the current year (Asia/Shanghai), generated with
   a seeded random.Random and written straight into the migrated tables, not through the app:
   PostgreSQL `COPY` (asyncpg `copy_records_to_table`, batches of 20,000 rows, one
   transaction), SQLite `executemany` in one transaction (synchronous=OFF for the load only,
   then a WAL checkpoint). Events: --events, kinds weighted like the science bureau (lectures
   30%, matching 20%, policy 16%, training 12%, study trips 10%, other 7%, contests 5%),
   streets from events.core.kinds.STREETS, the three organizer units, starts spread over the whole
   year at usual hours (so most have ended, the rest are upcoming); 88% published, 9%
   cancelled, 3% drafts. Registrations: --registrations in all, --export-rows of them at one
   published, ended lecture (the export event); the rest shared by the other non-draft events
   (lognormal sizes, lectures largest). Each registration arrives inside its event's
   registration window (ids follow arrival across all events, as in production; seq per
   event); party sizes 1-4 (study trips: adults + children); ~4% cancelled by the person,
   the last ~6% of the popular events waitlisted, every registration of a cancelled event
   cancelled by the event; ~80% of the confirmed at ended events checked in. The events'
   counters (confirmed and waitlisted people, waiting registrations, registration_seq,
   capacity) are set from the generated rows. Then ANALYZE (SQLite) or VACUUM (ANALYZE)
   (PostgreSQL: a database that has run for a year has been vacuumed, and autovacuum would
   otherwise start on the fresh million rows at some moment during the measurements, changing
   the plans it can use: index-only scans need the visibility map). Prints the time each step
   took.
2. An organizer (events.accounts.accounts.create_user), then `events serve --workers 2 --quiet`; a
   bearer token from POST /api/v1/auth/login and a session cookie from the login page (GET
   /login for the csrftoken cookie, POST /login with `_csrf_token`); PUT /api/v1/goals/{year}
   with 12 goals. Once other processes use < 0.2 core (waits up to 60 s) before each part:
   - `GET /api/v1/goals/{year}`: 2 warm-up requests, then --requests sequential ones over one
     keep-alive connection (httpx); median, p90 and max of the time to the whole body (after
     --page-budget s, 120 by default, the timing stops once 5 requests are done).
     Aim: median < 200 ms on PostgreSQL, < 1 s on SQLite.
   - `GET /manage/stats?year={year}` with the session cookie, the same way. Aim: median
     < 400 ms. A 404 prints "dashboard page not present" (the page is being built elsewhere).
   - `GET /api/v1/events/{id}/registrations.xlsx` and `.csv` of the export event, body read to
     a temporary file: the time to the last byte, and the peak memory above the idle server:
     before the request, each worker process's VmRSS is read and its VmHWM reset to it
     (harness.reset_peak, /proc/<pid>/clear_refs); afterwards max over the workers of
     VmHWM - idle VmRSS (if the reset is refused, a thread samples VmRSS every 20 ms
     instead). Aims: < 10 s and < 100 MB. Checks: --export-rows + 1 rows (csv module;
     openpyxl read-only for xlsx), the header, the sum of party sizes, every phone masked
     (`138****1234`) and no 11-digit mobile number anywhere.
3. Checks the figures at scale: the API's actual value of every goal against an independent
   SQL query written here from the contract (sessions.<kind>: published events of the year by
   start in Asia/Shanghai, already ended; attendance.<kind>: party sizes of confirmed
   registrations checked in at those events; registrations.<kind>: party sizes of confirmed
   registrations at published events of the year, ended or upcoming; `all`: every kind), and
   that query against the generator's own tallies; the events' counters against their rows.

Prints a table per database with the figures and the aims met or missed, then PASS/FAIL per
check; exits 1 if a check fails (a missed aim is reported, not a failure). Traffic goes to
127.0.0.1 only; this script, the server and PostgreSQL share the machine's cores.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import math
import os
import random
import re
import secrets
import sqlite3
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from harness import memory, print_table, reset_peak, session, wait_for_quiet

from events.core.kinds import KINDS, ORGANIZER_UNITS, STREETS
from events.core.timeutil import TZ

ORGANIZER = "bench-stats"
PASSWORD = "bench-stats-password"
AIM_GOALS_MS = {"postgres": 200.0, "sqlite": 1000.0}
AIM_PAGE_MS = 400.0
AIM_EXPORT_S = 10.0
AIM_EXPORT_MB = 100.0
BATCH = 20_000
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
MASKED = re.compile(r"^1\d{2}\*{4}\d{4}$")

# The bureau's year: many lectures, matching sessions and policy briefings, fewer contests.
KIND_WEIGHTS = {
    "lecture": 30,
    "matching": 20,
    "policy": 16,
    "training": 12,
    "study_trip": 10,
    "other": 7,
    "contest": 5,
}
# Registrations per event relative to the average (before a lognormal spread).
KIND_SIZE = {
    "lecture": 1.6,
    "matching": 0.6,
    "policy": 0.9,
    "training": 0.7,
    "study_trip": 0.8,
    "other": 0.7,
    "contest": 1.1,
}
SERIES = {
    "matching": "快墅转",
    "lecture": "科普墅",
    "study_trip": "科普墅",
    "policy": "政策宣讲",
    "training": "科学传播员培训",
    "contest": "",
    "other": "三长交流会",
}
TOPICS = (
    "人工智能 芯片 新材料 生物医药 大运河文化 天文 低碳生活 数字经济 机器人 量子科技"
    " 海洋科学 防灾减灾 智能制造 算力服务 中医药 脑科学"
).split()
VENUES = [
    ("运河科普会客厅", "拱墅区小河直街 36 号"),
    ("拱墅区科技馆报告厅", "拱墅区湖墅南路 88 号"),
    ("运河财富小镇会议中心", "拱墅区湖州街 168 号"),
    ("智慧网谷小镇路演厅", "拱墅区祥园路 99 号"),
    ("大运河科创城展厅", "拱墅区康桥路 11 号"),
    ("区图书馆一楼报告厅", "拱墅区大关路 100 号"),
    ("半山国家森林公园自然学校", "拱墅区半山路 1 号"),
]
HOURS = ((9, 0), (9, 30), (10, 0), (14, 0), (14, 30), (15, 0), (19, 0))
PARTY_SIZES, PARTY_WEIGHTS = (1, 2, 3, 4), (55, 30, 10, 5)
FAMILIES = ((1, 1), (1, 1), (1, 2), (2, 1), (2, 2))
GOALS = {
    "sessions.all": 1800,
    "attendance.all": 900_000,
    "registrations.all": 1_200_000,
    "sessions.lecture": 600,
    "attendance.lecture": 400_000,
    "registrations.lecture": 600_000,
    "sessions.matching": 400,
    "attendance.matching": 80_000,
    "sessions.policy": 300,
    "registrations.study_trip": 60_000,
    "attendance.contest": 30_000,
    "sessions.training": 200,
}

EVENT_COLUMNS = (
    "id", "kind", "series", "title", "venue", "address", "street", "organizer_unit",
    "starts_at", "ends_at", "capacity", "waitlist", "max_party_size",
    "registration_opens_at", "registration_closes_at", "status", "family", "ask_company",
    "created_at", "updated_at",
)  # fmt: skip
REGISTRATION_COLUMNS = (
    "id", "event", "name", "phone", "company", "party_size", "adults", "children", "status",
    "seq", "ticket_token", "source", "created_at", "confirmed_at", "cancelled_at",
    "cancelled_by", "checked_in_at",
)  # fmt: skip


def options(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--registrations", type=int, default=1_000_000)
    parser.add_argument("--export-rows", type=int, default=100_000, help="at the export event")
    parser.add_argument("--requests", type=int, default=30, help="timed GETs per page")
    parser.add_argument(
        "--page-budget", type=float, default=120, help="s of timed GETs per page, at most"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--quiet-wait", type=float, default=60)
    parser.add_argument("--quiet-cores", type=float, default=0.2)
    args = parser.parse_args(argv)
    if args.events < 10:
        parser.error("--events must be at least 10")
    if not 0 < args.export_rows <= args.registrations:
        parser.error("--export-rows must be between 1 and --registrations")
    return args


# --- the year's plan ---------------------------------------------------------------------


@dataclass(slots=True)
class Planned:
    """One event; times are epoch seconds. The counters are filled as registrations are made."""

    id: int
    kind: str
    status: str
    starts: int
    ends: int
    opens: int  # registration window
    closes: int  # min(registration closes, cancellation, now)
    cancelled: int | None
    street: str
    unit: str
    title: str
    venue: str
    address: str
    wanted: int = 0  # registrations to make
    wait: int = 0  # of which the last ones are waitlisted
    capacity: int = 0
    seq: int = 0
    confirmed: int = 0  # people
    waitlisted: int = 0  # people
    waiting: int = 0  # registrations
    checked: int = 0  # people checked in


@dataclass
class Year:
    year: int
    now: int  # epoch seconds when the plan was made
    events: list[Planned]
    export_id: int
    export_people: int = 0  # sum of party sizes at the export event, every status


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def plan_year(args: argparse.Namespace, rng: random.Random) -> Year:
    moment = datetime.now(TZ).replace(microsecond=0)
    year = moment.year
    start = datetime(year, 1, 1, tzinfo=TZ)
    days = (datetime(year + 1, 1, 1, tzinfo=TZ) - start).days
    now = epoch(moment)
    kinds = list(KIND_WEIGHTS)
    events = []
    for number in range(args.events):
        if number == 0:  # the export event: a big published lecture, already held
            kind, status = "lecture", "published"
            day = start + (moment - start) * 0.7
            begins = day.replace(hour=14, minute=0, second=0)
            hours = 3.0
        else:
            kind = rng.choices(kinds, KIND_WEIGHTS.values())[0]
            draw = rng.random()
            status = "draft" if draw < 0.03 else "cancelled" if draw < 0.12 else "published"
            hour, minute = rng.choice(HOURS)
            begins = start + timedelta(days=rng.randrange(days), hours=hour, minutes=minute)
            hours = rng.choice((1.5, 2.0, 2.0, 2.5, 3.0)) if kind != "study_trip" else 4.0
        starts = epoch(begins)
        ends = starts + int(hours * 3600)
        lead = 14 if kind == "lecture" else 21
        opens = min(starts - lead * 86400, now - 2 * 86400)
        closes = min(starts - 3600, now - 60)
        cancelled = None
        if status == "cancelled":
            cancelled = opens + int((min(starts, now) - opens) * rng.uniform(0.4, 0.9))
            closes = min(closes, cancelled)
        venue, address = rng.choice(VENUES)
        topic = rng.choice(TOPICS)
        title = f"{KINDS[kind]}·{topic}（第 {number + 1} 场）"
        if number == 0:
            title = f"{year} 运河科普节·开幕主场"
        events.append(
            Planned(
                id=number + 1,
                kind=kind,
                status=status,
                starts=starts,
                ends=ends,
                opens=opens,
                closes=max(closes, opens + 60),
                cancelled=cancelled,
                street=rng.choice(STREETS),
                unit=rng.choice(ORGANIZER_UNITS),
                title=title,
                venue=venue,
                address=address,
            )
        )
    # Registrations: the export event's, then the rest spread over the other non-drafts.
    events[0].wanted = args.export_rows
    others = [event for event in events[1:] if event.status != "draft"]
    weights = [KIND_SIZE[event.kind] * rng.lognormvariate(0, 0.6) for event in others]
    rest = args.registrations - args.export_rows
    total = sum(weights) or 1.0
    for event, weight in zip(others, weights, strict=True):
        event.wanted = int(rest * weight / total)
    leftover = rest - sum(event.wanted for event in others)  # what rounding left over
    for event in rng.sample(others, k=leftover):
        event.wanted += 1
    popular = sorted(weights)[int(len(weights) * 0.7)] if weights else 0
    for event, weight in zip(others, weights, strict=True):
        if event.status == "published" and weight >= popular:
            event.wait = round(event.wanted * 0.06)
    return Year(year, now, events, export_id=events[0].id)


def arrivals(plan: Year, rng: random.Random) -> list[int]:
    """Every registration as created_at * len(events) + event index, sorted: arrival order."""
    width = len(plan.events)
    keys = []
    for index, event in enumerate(plan.events):
        span = max(event.closes - event.opens, 60)
        power = 2.0 if event.kind in ("lecture", "study_trip") else 1.0  # a rush at opening
        keys.extend(
            (event.opens + int(span * rng.random() ** power)) * width + index
            for _ in range(event.wanted)
        )
    keys.sort()
    return keys


def registrations(plan: Year, keys: list[int], rng: random.Random, when):
    """The registration rows in arrival order, in batches; `when` formats an epoch for the DB.

    Counts as it goes: each event's seq, confirmed/waitlisted people, waiting, checked in."""
    from events.demo.registrations import FIRMS, GIVEN, PREFIXES, SURNAMES, TRADES

    width = len(plan.events)
    firms = [f"杭州{firm}{trade}有限公司" for firm in FIRMS for trade in TRADES]
    given = GIVEN
    random_, choice, randrange = rng.random, rng.choice, rng.randrange
    batch = []
    for number, key in enumerate(keys):
        created, index = divmod(key, width)
        event = plan.events[index]
        event.seq += 1
        if event.kind == "study_trip":
            adults, children = choice(FAMILIES)
        else:
            adults, children = rng.choices(PARTY_SIZES, PARTY_WEIGHTS)[0], 0
        party = adults + children
        confirmed_at = cancelled_at = checked_in_at = None
        cancelled_by = ""
        if event.status == "cancelled":
            status, cancelled_by, cancelled_at = "cancelled", "event", event.cancelled
        elif event.seq > event.wanted - event.wait:
            status = "waitlisted"
            event.waitlisted += party
            event.waiting += 1
        elif random_() < 0.04:
            status, cancelled_by = "cancelled", "self"
            cancelled_at = created + (event.closes - created) // 2
        else:
            status, confirmed_at = "confirmed", created
            event.confirmed += party
            if event.ends <= plan.now and random_() < 0.8:
                checked_in_at = event.starts + randrange(-30 * 60, 20 * 60)
                event.checked += party
        if index == 0:
            plan.export_people += party
        company = ""
        if event.kind == "matching" and random_() < 0.8:
            company = choice(firms)
        batch.append(
            (
                number + 1,
                event.id,
                choice(SURNAMES) + choice(given),
                PREFIXES[number % len(PREFIXES)] + f"{number:08d}",
                company,
                party,
                adults,
                children,
                status,
                event.seq,
                secrets.token_urlsafe(24),
                "organizer" if random_() < 0.04 else "web",
                when(created),
                when(confirmed_at),
                when(cancelled_at),
                cancelled_by,
                when(checked_in_at),
            )
        )
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def finish_counters(plan: Year) -> None:
    """Capacity from the people booked: full (exactly) where there is a waitlist."""
    for event in plan.events:
        if event.wait:
            event.capacity = event.confirmed
        elif event.status == "draft":
            event.capacity = 100
        else:
            booked = event.confirmed or event.wanted * 2
            event.capacity = max(20, math.ceil(booked * 1.25 / 10) * 10)


def event_rows(plan: Year, when) -> list[tuple]:
    rows = []
    for event in plan.events:
        created = event.opens - 3 * 86400
        rows.append(
            (
                event.id,
                event.kind,
                SERIES[event.kind],
                event.title,
                event.venue,
                event.address,
                event.street,
                event.unit,
                when(event.starts),
                when(event.ends),
                0,
                True,
                4,
                when(event.opens),
                when(event.starts - 3600),
                event.status,
                event.kind == "study_trip",
                event.kind == "matching",
                when(created),
                when(event.cancelled or created),
            )
        )
    return rows


def counter_rows(plan: Year) -> list[tuple]:
    return [
        (e.confirmed, e.waitlisted, e.waiting, e.seq, e.capacity, e.checked, e.id)
        for e in plan.events
    ]


# --- loading --------------------------------------------------------------------------------


def pg_when(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def sqlite_when(value: int | None) -> str | None:
    # As Piccolo stores a timestamptz on SQLite: str() of the UTC datetime.
    return None if value is None else time.strftime("%Y-%m-%d %H:%M:%S+00:00", time.gmtime(value))


@dataclass
class Timings:
    generate: float = 0.0  # Python making rows (inside the insert loop)
    insert: float = 0.0  # wall clock of events + registrations + counters, generation included
    analyze: float = 0.0
    rows: int = 0


def load(db: str, url: str, plan: Year, keys: list[int], rng: random.Random) -> Timings:
    timings = Timings()
    began = time.perf_counter()
    if db == "postgres":
        asyncio.run(_load_pg(url, plan, keys, rng, timings))
    else:
        _load_sqlite(url, plan, keys, rng, timings)
    timings.insert = time.perf_counter() - began - timings.analyze
    return timings


def _timed(batches, timings: Timings):
    """The batches, with the time spent making them added to timings.generate."""
    iterator = iter(batches)
    while True:
        began = time.perf_counter()
        batch = next(iterator, None)
        timings.generate += time.perf_counter() - began
        if batch is None:
            return
        timings.rows += len(batch)
        yield batch


async def _load_pg(url: str, plan: Year, keys: list[int], rng, timings: Timings) -> None:
    import asyncpg

    connection = await asyncpg.connect(url, timeout=30)
    try:
        async with connection.transaction():
            await connection.copy_records_to_table(
                "event", records=event_rows(plan, pg_when), columns=EVENT_COLUMNS
            )
            for batch in _timed(registrations(plan, keys, rng, pg_when), timings):
                await connection.copy_records_to_table(
                    "registration", records=batch, columns=REGISTRATION_COLUMNS
                )
            finish_counters(plan)
            await connection.executemany(
                "UPDATE event SET confirmed = $1, waitlisted = $2, waiting = $3,"
                " registration_seq = $4, capacity = $5, checked_in = $6 WHERE id = $7",
                counter_rows(plan),
            )
            for table in ("event", "registration"):  # ids were given: move the sequences on
                await connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" (SELECT MAX(id) FROM {table}))"
                )
        began = time.perf_counter()
        await connection.execute("VACUUM (ANALYZE)")  # see the module's docstring
        timings.analyze = time.perf_counter() - began
    finally:
        await connection.close()


def _sqlite_path(url: str) -> str:
    from events.core.engines import sqlite_path

    return str(sqlite_path(url))


def _load_sqlite(url: str, plan: Year, keys: list[int], rng, timings: Timings) -> None:
    connection = sqlite3.connect(_sqlite_path(url), timeout=30, isolation_level=None)
    try:
        connection.execute("PRAGMA synchronous=OFF")  # this connection's load only
        connection.execute("PRAGMA cache_size=-262144")  # 256 MB for the index pages
        connection.execute("BEGIN IMMEDIATE")

        def insert(table: str, columns: tuple, rows) -> None:
            marks = ", ".join("?" for _ in columns)
            names = ", ".join(columns)
            connection.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)

        insert("event", EVENT_COLUMNS, event_rows(plan, sqlite_when))
        for batch in _timed(registrations(plan, keys, rng, sqlite_when), timings):
            insert("registration", REGISTRATION_COLUMNS, batch)
        finish_counters(plan)
        connection.executemany(
            "UPDATE event SET confirmed = ?, waitlisted = ?, waiting = ?, registration_seq = ?,"
            " capacity = ?, checked_in = ? WHERE id = ?",
            counter_rows(plan),
        )
        connection.execute("COMMIT")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        began = time.perf_counter()
        connection.execute("ANALYZE")
        timings.analyze = time.perf_counter() - began
    finally:
        connection.close()


async def create_organizer(url: str) -> None:
    from events.accounts import accounts
    from events.core import db
    from events.core.engines import engine_from_url

    db.use_engine(engine_from_url(url))
    await db.open_pool()
    try:
        await accounts.create_user(ORGANIZER, "organizer", PASSWORD)
    finally:
        await db.close_pool()


# --- measuring ------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


@dataclass
class Timed:
    label: str
    times: list[float] = field(default_factory=list)  # ms
    status: int = 0
    note: str = ""

    @property
    def median(self) -> float:
        return percentile(self.times, 0.5)


def time_gets(client, path: str, args: argparse.Namespace, label: str, **kwargs) -> Timed:
    """2 warm-up GETs, then --requests sequential ones; stops at the first non-200, or once
    the timed ones took --page-budget seconds (after 5 at least: a slow page is still slow)."""
    result = Timed(label)
    deadline = None
    for number in range(args.requests + 2):
        if number == 2:
            deadline = time.perf_counter() + args.page_budget
        elif deadline and len(result.times) >= 5 and time.perf_counter() > deadline:
            result.note = f"stopped after {len(result.times)} requests (--page-budget)"
            break
        began = time.perf_counter()
        response = client.get(path, **kwargs)
        spent = (time.perf_counter() - began) * 1000
        result.status = response.status_code
        if response.status_code != 200:
            result.note = f"{response.status_code}: {response.text[:200]!r}"
            return result
        if number >= 2:
            result.times.append(spent)
    return result


def worker_pids(server) -> list[int]:
    """The uvicorn worker processes (multiprocessing spawn) of `events serve`."""
    found = []
    for pid in server.pids():
        with contextlib.suppress(OSError):
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                if b"spawn_main" in handle.read():
                    found.append(pid)
    return found or [server.process.pid]


class Sampler(threading.Thread):
    """VmRSS of some processes every 20 ms; the highest seen per process."""

    def __init__(self, pids: list[int]) -> None:
        super().__init__(daemon=True)
        self.pids = pids
        self.peak = {pid: 0 for pid in pids}
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            for pid in self.pids:
                with contextlib.suppress(OSError):
                    self.peak[pid] = max(self.peak[pid], memory(pid)[0])
            self.stopped.wait(0.02)


@dataclass
class Export:
    kind: str
    status: int = 0
    seconds: float = 0.0
    first_byte: float = 0.0
    size: int = 0
    peak_mb: float = 0.0
    how: str = ""  # VmHWM or sampled
    encoding: str = ""  # Content-Encoding as sent (size is of the decoded body)
    checks: list = field(default_factory=list)


def measure_export(client, server, plan: Year, kind: str, headers: dict, folder: Path) -> Export:
    result = Export(kind)
    pids = worker_pids(server)
    idle = {pid: memory(pid)[0] for pid in pids}
    try:
        for pid in pids:
            reset_peak(pid)
        result.how = "VmHWM"
    except OSError:
        result.how = "VmRSS sampled every 20 ms"
    sampler = Sampler(pids)
    sampler.start()
    target = folder / f"export.{kind}"
    path = f"/api/v1/events/{plan.export_id}/registrations.{kind}"
    began = time.perf_counter()
    try:
        with client.stream("GET", path, headers=headers) as response, target.open("wb") as out:
            result.status = response.status_code
            result.encoding = response.headers.get("content-encoding", "identity")
            for chunk in response.iter_bytes():  # decoded, should the server compress it
                if not result.first_byte:
                    result.first_byte = time.perf_counter() - began
                out.write(chunk)
                result.size += len(chunk)
        result.seconds = time.perf_counter() - began
    finally:
        sampler.stopped.set()
        sampler.join()
    if result.how == "VmHWM":
        peaks = {pid: memory(pid)[1] for pid in pids}
    else:
        peaks = sampler.peak
    result.peak_mb = max(peaks[pid] - idle[pid] for pid in pids) / 2**20
    if result.status != 200:
        result.checks.append((f"{kind} export answers 200", False, str(result.status)))
    else:
        result.checks = check_export(target, kind, plan)
    target.unlink(missing_ok=True)
    return result


def check_export(path: Path, kind: str, plan: Year) -> list:
    if kind == "csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    else:
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True)
        try:
            rows = [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
        finally:
            book.close()
    header, body = rows[0], rows[1:]
    expected = plan.events[0].wanted
    masked = sum(1 for row in body if MASKED.match(str(row[2] or "")))
    full = sum(1 for row in rows for cell in row if cell and MOBILE.search(str(cell)))
    people = sum(int(row[3] or 0) for row in body)
    return [
        (f"{kind}: {expected + 1:,} rows", len(rows) == expected + 1, f"{len(rows):,}"),
        (f"{kind}: header", header[:4] == ["编号", "姓名", "手机号（隐去中间四位）", "人数"], ""),
        (f"{kind}: every phone masked", masked == expected, f"{masked:,} masked"),
        (f"{kind}: no full mobile number", full == 0, f"{full} cells"),
        (
            f"{kind}: party sizes add up",
            people == plan.export_people,
            f"{people:,} vs {plan.export_people:,}",
        ),
    ]


# --- independent figures --------------------------------------------------------------------


def expected_from_plan(plan: Year, moment: int) -> dict[str, int]:
    figures: dict[str, int] = {}
    for event in plan.events:
        if event.status != "published":
            continue
        for kind in (event.kind, "all"):
            ended = event.ends <= moment
            for measure, value in (
                ("sessions", 1 if ended else 0),
                ("attendance", event.checked if ended else 0),
                ("registrations", event.confirmed),
            ):
                key = f"{measure}.{kind}"
                figures[key] = figures.get(key, 0) + value
    return figures


# The contract in SQL, written apart from events/stats.py: the year by EXTRACT / strftime in
# Shanghai time, "ended" against the moment given.
PG_SESSIONS = """
SELECT kind, COUNT(*) AS n FROM event
 WHERE status = 'published' AND ends_at <= $2
   AND EXTRACT(YEAR FROM starts_at AT TIME ZONE 'Asia/Shanghai') = $1
 GROUP BY kind
"""
PG_PEOPLE = """
SELECT e.kind,
       SUM(CASE WHEN e.ends_at <= $2 AND r.checked_in_at IS NOT NULL THEN r.party_size END)
         AS attendance,
       SUM(r.party_size) AS registrations
  FROM registration r JOIN event e ON e.id = r.event
 WHERE r.status = 'confirmed' AND e.status = 'published'
   AND EXTRACT(YEAR FROM e.starts_at AT TIME ZONE 'Asia/Shanghai') = $1
 GROUP BY e.kind
"""
SQLITE_SESSIONS = """
SELECT kind, COUNT(*) AS n FROM event
 WHERE status = 'published' AND julianday(ends_at) <= julianday(?2)
   AND strftime('%Y', starts_at, '+8 hours') = ?1
 GROUP BY kind
"""
SQLITE_PEOPLE = """
SELECT e.kind,
       SUM(CASE WHEN julianday(e.ends_at) <= julianday(?2) AND r.checked_in_at IS NOT NULL
                THEN r.party_size END) AS attendance,
       SUM(r.party_size) AS registrations
  FROM registration r JOIN event e ON e.id = r.event
 WHERE r.status = 'confirmed' AND e.status = 'published'
   AND strftime('%Y', e.starts_at, '+8 hours') = ?1
 GROUP BY e.kind
"""
# Counters that disagree with the rows (people confirmed / waitlisted, registrations waiting).
COUNTERS = """
SELECT COUNT(*) FROM event e LEFT JOIN (
  SELECT event,
         SUM(CASE WHEN status = 'confirmed' THEN party_size ELSE 0 END) AS confirmed,
         SUM(CASE WHEN status = 'waitlisted' THEN party_size ELSE 0 END) AS waitlisted,
         SUM(CASE WHEN status = 'waitlisted' THEN 1 ELSE 0 END) AS waiting,
         MAX(seq) AS seq,
         SUM(CASE WHEN status = 'confirmed' AND checked_in_at IS NOT NULL
             THEN party_size ELSE 0 END) AS checked_in
    FROM registration GROUP BY event
) r ON r.event = e.id
WHERE e.confirmed <> COALESCE(r.confirmed, 0) OR e.waitlisted <> COALESCE(r.waitlisted, 0)
   OR e.checked_in <> COALESCE(r.checked_in, 0)
   OR e.waiting <> COALESCE(r.waiting, 0) OR e.registration_seq <> COALESCE(r.seq, 0)
   OR e.confirmed > e.capacity
"""


def _fold(sessions, people) -> dict[str, int]:
    figures: dict[str, int] = {}

    def add(key: str, value) -> None:
        figures[key] = figures.get(key, 0) + int(value or 0)

    for row in sessions:
        add(f"sessions.{row[0]}", row[1])
        add("sessions.all", row[1])
    for row in people:
        for position, measure in ((1, "attendance"), (2, "registrations")):
            add(f"{measure}.{row[0]}", row[position])
            add(f"{measure}.all", row[position])
    return figures


def sql_figures(db: str, url: str, year: int, moment: int) -> tuple[dict[str, int], int]:
    """(figures by metric, events whose counters disagree with their rows)."""
    if db == "postgres":
        return asyncio.run(_pg_figures(url, year, moment))
    connection = sqlite3.connect(_sqlite_path(url), timeout=30)
    try:
        at = sqlite_when(moment)
        sessions = connection.execute(SQLITE_SESSIONS, (str(year), at)).fetchall()
        people = connection.execute(SQLITE_PEOPLE, (str(year), at)).fetchall()
        (wrong,) = connection.execute(COUNTERS).fetchone()
    finally:
        connection.close()
    return _fold(sessions, people), wrong


async def _pg_figures(url: str, year: int, moment: int) -> tuple[dict[str, int], int]:
    import asyncpg

    connection = await asyncpg.connect(url, timeout=30)
    try:
        at = pg_when(moment)
        sessions = await connection.fetch(PG_SESSIONS, year, at)
        people = await connection.fetch(PG_PEOPLE, year, at)
        wrong = await connection.fetchval(COUNTERS)
    finally:
        await connection.close()
    return _fold(sessions, people), wrong


# --- one database ---------------------------------------------------------------------------


@dataclass
class Outcome:
    db: str
    plan_seconds: float
    timings: Timings
    goals: Timed
    page: Timed
    exports: list[Export]
    checks: list
    figures: list  # (metric, api, sql, plan)


def login_token(client) -> str:
    response = client.post("/api/v1/auth/login", json={"username": ORGANIZER, "password": PASSWORD})
    assert response.status_code == 200, (response.status_code, response.text)
    return response.json()["token"]


def login_page(client) -> bool:
    client.get("/login")
    response = client.post(
        "/login",
        data={
            "username": ORGANIZER,
            "password": PASSWORD,
            "_csrf_token": client.cookies.get("csrftoken", ""),
        },
    )
    return response.status_code in (302, 303) and "ce_session" in client.cookies


def run_one(db: str, args: argparse.Namespace) -> Outcome:
    import httpx

    rng = random.Random(args.seed)
    with session("stats", db) as bench:
        began = time.perf_counter()
        plan = plan_year(args, rng)
        keys = arrivals(plan, rng)
        plan_seconds = time.perf_counter() - began
        print(
            f"  planned {len(plan.events):,} events and {len(keys):,} registrations"
            f" in {plan_seconds:.1f} s; writing them...",
            flush=True,
        )
        timings = load(db, bench.url, plan, keys, rng)
        del keys
        print(
            f"  wrote {timings.rows:,} registrations + {len(plan.events):,} events in"
            f" {timings.insert:.1f} s (of which making rows {timings.generate:.1f} s),"
            f" {'VACUUM ANALYZE' if db == 'postgres' else 'ANALYZE'} {timings.analyze:.1f} s",
            flush=True,
        )
        asyncio.run(create_organizer(bench.url))
        server = bench.serve_events(workers=args.workers)
        client = httpx.Client(base_url=server.base, trust_env=False, timeout=300)
        pages = httpx.Client(base_url=server.base, trust_env=False, timeout=300)
        try:
            auth = {"Authorization": f"Bearer {login_token(client)}"}
            logged_in = login_page(pages)
            body = {"goals": [{"metric": m, "target": t} for m, t in GOALS.items()]}
            put = client.put(f"/api/v1/goals/{plan.year}", json=body, headers=auth)
            checks = [("PUT 12 goals answers 200", put.status_code == 200, str(put.status_code))]
            checks.append(("login page gives a session cookie", logged_in, ""))

            wait_for_quiet(server, args)
            goals = time_gets(client, f"/api/v1/goals/{plan.year}", args, "goals", headers=auth)
            checks.append(("GET goals answers 200", goals.status == 200, goals.note))
            print(f"  GET /api/v1/goals/{plan.year}: median {_ms(goals)}", flush=True)

            wait_for_quiet(server, args)
            page = time_gets(pages, f"/manage/stats?year={plan.year}", args, "page")
            if page.status == 404:
                page.note = "dashboard page not present"
                print("  dashboard page not present", flush=True)
            else:
                checks.append(("GET /manage/stats answers 200", page.status == 200, page.note))
                print(f"  GET /manage/stats: median {_ms(page)}", flush=True)

            exports = []
            for kind in ("xlsx", "csv"):
                wait_for_quiet(server, args)
                export = measure_export(client, server, plan, kind, auth, bench.folder)
                exports.append(export)
                checks.extend(export.checks)
                print(
                    f"  registrations.{kind}: {export.seconds:.2f} s, {export.size:,} B"
                    f" (sent {export.encoding}),"
                    f" peak +{export.peak_mb:.1f} MB ({export.how})",
                    flush=True,
                )

            # The figures: SQL at moments before and after the API's answer (an event may end
            # in between); the API must agree with one, and SQL with the generator's tallies.
            before = int(time.time())
            sql_before, wrong_counters = sql_figures(db, bench.url, plan.year, before)
            answer = client.get(f"/api/v1/goals/{plan.year}", headers=auth).json()
            after = int(time.time())
            sql_after, _ = sql_figures(db, bench.url, plan.year, after)
        finally:
            client.close()
            pages.close()
            server.stop()
    figures = []
    api = {goal["metric"]: goal["actual"] for goal in answer["goals"]}
    agree = plan_agrees = True
    for metric in GOALS:
        sql = sql_before.get(metric, 0)
        if api.get(metric) == sql_after.get(metric, 0):
            sql = sql_after.get(metric, 0)
        planned = expected_from_plan(plan, before).get(metric, 0)
        figures.append((metric, api.get(metric), sql, planned))
        agree = agree and api.get(metric) == sql
        plan_agrees = plan_agrees and sql_before.get(metric, 0) == planned
    checks.append(("API actual = independent SQL, 12 goals", agree, ""))
    checks.append(("independent SQL = generator's tallies", plan_agrees, ""))
    checks.append(("event counters match their rows", wrong_counters == 0, f"{wrong_counters} off"))
    return Outcome(db, plan_seconds, timings, goals, page, exports, checks, figures)


def _ms(timed: Timed) -> str:
    if not timed.times:
        return f"— ({timed.note})"
    return (
        f"{timed.median:.1f} ms, p90 {percentile(timed.times, 0.9):.1f} ms,"
        f" max {max(timed.times):.1f} ms ({len(timed.times)} requests)"
        + (f"; {timed.note}" if timed.note else "")
    )


# --- report ---------------------------------------------------------------------------------


def report(outcome: Outcome, args: argparse.Namespace) -> bool:
    db, timings = outcome.db, outcome.timings
    print()
    print(
        f"Goals and exports at scale — db={db}, {args.events:,} events, {timings.rows:,}"
        f" registrations ({args.export_rows:,} at the export event),"
        f" events serve --workers {args.workers}, {os.cpu_count()} cores shared"
    )
    total = outcome.plan_seconds + timings.insert + timings.analyze
    print(
        f"  generating: plan {outcome.plan_seconds:.1f} s + rows and insert {timings.insert:.1f} s"
        f" (making rows {timings.generate:.1f} s)"
        f" + {'VACUUM ANALYZE' if db == 'postgres' else 'ANALYZE'} {timings.analyze:.1f} s"
        f" = {total:.1f} s ({timings.rows / max(timings.insert, 1e-9):,.0f} registrations/s)"
    )
    aim_goals = AIM_GOALS_MS[db]
    rows = []
    aims = []

    def timed_row(title: str, timed: Timed, aim: float) -> None:
        if not timed.times:
            rows.append([title, "—", "—", "—", "—", "—", timed.note or str(timed.status)])
            return
        met = timed.median < aim
        aims.append((f"{title} median < {aim:g} ms", met))
        rows.append(
            [
                title, f"{timed.median:.1f}", f"{percentile(timed.times, 0.9):.1f}",
                f"{max(timed.times):.1f}", "", f"< {aim:g} ms",
                "met" if met else "MISSED",
            ]
        )  # fmt: skip

    timed_row(f"GET goals ×{len(outcome.goals.times)}", outcome.goals, aim_goals)
    timed_row(f"GET /manage/stats ×{len(outcome.page.times)}", outcome.page, AIM_PAGE_MS)
    for export in outcome.exports:
        fast = export.status == 200 and export.seconds < AIM_EXPORT_S
        small = export.peak_mb < AIM_EXPORT_MB
        aims.append((f"{export.kind} export < {AIM_EXPORT_S:g} s", fast))
        aims.append((f"{export.kind} export < {AIM_EXPORT_MB:g} MB", small))
        rows.append(
            [
                f"registrations.{export.kind} ({export.size / 2**20:.1f} MB)",
                f"{export.seconds * 1000:.0f}", "", "", f"{export.peak_mb:.1f}",
                f"< {AIM_EXPORT_S:g} s, < {AIM_EXPORT_MB:g} MB",
                "met" if fast and small else "MISSED",
            ]
        )  # fmt: skip
    columns = [("measure", 40), ("median ms", 11), ("p90 ms", 9), ("max ms", 9)]
    columns += [("peak MB", 9), ("aim", 22), ("", 9)]
    print_table(columns, rows)
    print(
        "  (exports: one request each, time to the last byte; first byte after "
        + ", ".join(f"{e.kind} {e.first_byte:.2f} s" for e in outcome.exports)
        + "; peak MB: worker peak RSS above its idle RSS, "
        + (outcome.exports[0].how if outcome.exports else "")
        + ")"
    )
    print_table(
        [("goal", 26), ("API actual", 12), ("SQL", 12), ("generator", 12)],
        [
            [m, f"{a:,}" if a is not None else "—", f"{s:,}", f"{p:,}"]
            for m, a, s, p in outcome.figures
        ],
    )
    passed = True
    for name, ok, detail in outcome.checks:
        passed = passed and ok
        print(f"  {'PASS' if ok else 'FAIL'}  {name}" + (f"  ({detail})" if detail else ""))
    print("  aims: " + "; ".join(f"{name}: {'met' if ok else 'MISSED'}" for name, ok in aims))
    return passed


def main(argv: list[str] | None = None) -> int:
    args = options(argv)
    databases = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    outcomes = []
    for db in databases:
        print(f"{db}:", flush=True)
        outcomes.append(run_one(db, args))
    passed = all([report(outcome, args) for outcome in outcomes])
    print(f"\nchecks: {'all PASS' if passed else 'some FAILED'}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
