"""The demo year's drawing contest: its configuration, ~300 entries with drawn pictures, judging
and published results, as they would stand at the demo's moment.

The contest is the 墅正气 drawing contest's submission event (`content.CONTEST_WINDOW`): entries
from 16 March 9:00 to 30 April 17:00 (the event's start and end), judges assigned on 6 May and
scoring until 20 May, results published on 22 May, before the June ceremony. By the demo's
moment `at`:
- before the window opens: the configuration only;
- while it is open: the entries submitted so far (more come towards the deadline), no results;
- after the close: every entry, the organizer's rejections (a copied picture, a printout, a
  blurred photo); from 6 May the judges' assignments, and the scores given by `at`;
- from 22 May: every score, and the results computed and published (selected entries, awards,
  certificate codes).

The entries go through the contest workflows (`config.put_config`; `entries.submit`, which
validates the fields, decodes, cleans and stores each picture and flags the copies;
`entries.withdraw`, `moderation.reject`, `judging.assign`, `results.compute` and `publish`). The
scores are checked and weighted by the judging workflow's own functions (`check_scores`,
`ranking.weighted`) and stored in one transaction: 900 calls of `judging.score`, a transaction
each, took 10 s on SQLite. The workflows check the real clock, so where the demo's dates and
the clock disagree (entries are always submitted after their window in real time, except in a
demo loaded while the window is open) the window is moved for the step and put back; the
timestamps the workflows wrote with the clock (submission, publication) are then set to the
planned dates. Demo data sends nobody a message: what the workflows queued for the demo's
guardians is removed from the outbox.

Cost (SQLite, 2 shared cores): drawing, cleaning and storing the 300 pictures alone takes about
4 s; through the submission workflow (a few queries and a write transaction each, four at a
time) the contest takes 10-11 s of a 15 s `events demo`.

Idempotent, step by step: the configuration is set when there is none, entries are added when
the contest has none, assignments when there are none, only unscored assignments are scored,
and results are published once.
"""

from __future__ import annotations

import io
import random
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import anyio

from events.contests import config, entries, judging, moderation, results
from events.contests.ranking import weighted, weights
from events.contests.tables import Assignment, Contest, Entry
from events.core.db import write_transaction
from events.core.timeutil import TZ, local, now
from events.demo import content
from events.demo.contest_content import (
    CHILD_GIVEN,
    CRITERIA,
    DUPLICATES,
    GALLERY_CONSENT,
    GRADE_WEIGHTS,
    GROUPS,
    HIGH_SCHOOLS,
    MIDDLE_SCHOOLS,
    PARENT_GIVEN,
    PERSONS,
    PLACES,
    PRIMARY_SCHOOLS,
    REJECTIONS,
    STATEMENTS,
    TITLES,
    WHO,
    WITHDRAWN,
)
from events.demo.drawings import drawing
from events.demo.registrations import SURNAMES
from events.tables import OutboxMessage, StaffUser

ENTRIES = 300
SUBMITTING = 4  # submissions at a time (pictures are processed and stored in threads)
# The demo's judges (usernames of demo.DEMO_USERS) and their habits: (offset, spread) — how much
# more or less than the others a judge gives, and how far apart their scores lie.
JUDGES: dict[str, tuple[float, float]] = {
    "judge": (0.0, 1.0),
    "judge2": (-1.6, 0.8),  # harsh
    "judge3": (1.4, 0.7),  # lenient, and everything looks alike to them
    "judge4": (0.4, 1.4),  # a little generous, with strong opinions
    "judge5": (-0.6, 1.1),
}


@dataclass(frozen=True)
class Timeline:
    opens: datetime
    closes: datetime
    assigned: datetime
    judged: datetime  # the last score
    published: datetime


def timeline(event: dict) -> Timeline:
    """The contest's dates, from its event: the window is the event's start to its end."""
    opens, closes = local(event["starts_at"]), local(event["ends_at"])
    year = opens.year
    return Timeline(
        opens=opens,
        closes=closes,
        assigned=datetime.combine(date(year, 5, 6), time(10), tzinfo=TZ),
        judged=datetime.combine(date(year, 5, 20), time(18), tzinfo=TZ),
        published=datetime.combine(date(year, 5, 22), time(10), tzinfo=TZ),
    )


def contest_config(when: Timeline) -> dict[str, Any]:
    return {
        "submissions_open_at": when.opens,
        "submissions_close_at": when.closes,
        "groups": GROUPS,
        "criteria": CRITERIA,
        "judges_per_entry": 3,
        "selection_share": 0.2,
        "max_entries_per_child": 1,
        "gallery": True,
        "issuer": content.SCIENCE_ASSOCIATION,
    }


# --- the entries, planned (pure and seeded) -----------------------------------------------------


@dataclass(frozen=True)
class PlannedEntry:
    number: int  # 1-based, in submission order
    seed: int  # of the drawing
    size: tuple[int, int]
    submitted_at: datetime
    fields: dict[str, str]
    quality: float  # how good the drawing is (the judges see it through their habits)
    withdrawn: bool = False
    rejection: str = ""
    copy_of: int = 0  # the number of the entry whose picture this one is, re-saved


def _times(rng: random.Random, when: Timeline, n: int) -> list[datetime]:
    """`n` sorted moments in the window, denser towards the deadline, in the daytime."""
    span = (when.closes - when.opens).total_seconds()
    moments = []
    for _ in range(n):
        share = rng.random() ** 0.6  # more entries come in the last weeks
        moment = when.opens + timedelta(seconds=int(span * share))
        if not 7 <= moment.hour < 22:  # guardians submit in the day or the evening
            moment = moment.replace(hour=rng.randint(7, 21), minute=rng.randrange(60))
        moments.append(min(max(moment, when.opens), when.closes - timedelta(minutes=5)))
    return sorted(moments)


def _statement(rng: random.Random) -> str:
    parts = rng.sample(STATEMENTS, rng.randint(1, 3))
    person, act = rng.choice(PERSONS)
    return "".join(parts).format(
        place=rng.choice(PLACES), person=person, person_act=act, who=rng.choice(WHO)
    )


def _school(rng: random.Random, grade: int) -> str:
    if grade <= 6:
        return rng.choice(PRIMARY_SCHOOLS)
    return rng.choice(MIDDLE_SCHOOLS if grade <= 9 else HIGH_SCHOOLS)


def plan(year: int, when: Timeline) -> list[PlannedEntry]:
    """The year's entries, the same list on every call."""
    rng = random.Random(year * 7_919 + 11)
    common = [1 / (rank + 8) for rank in range(len(SURNAMES))]  # common surnames first
    moments = _times(rng, when, ENTRIES)
    phones: set[str] = set()
    planned: list[PlannedEntry] = []
    copies = set(rng.sample(range(40, ENTRIES), DUPLICATES))
    withdrawn = set(rng.sample([n for n in range(ENTRIES) if n not in copies], WITHDRAWN))
    left = [n for n in range(ENTRIES) if n not in copies | withdrawn]
    rejected = dict(zip(rng.sample(left, len(REJECTIONS)), REJECTIONS, strict=True))
    for index, moment in enumerate(moments):
        grade = rng.choices(range(1, 13), GRADE_WEIGHTS)[0]
        surname = rng.choices(SURNAMES, common)[0]
        child = surname + rng.choice(CHILD_GIVEN)
        phone = f"139{rng.randrange(10**8):08d}"
        while phone in phones:
            phone = f"139{rng.randrange(10**8):08d}"
        phones.add(phone)
        guardian = (surname if rng.random() < 0.6 else rng.choices(SURNAMES, common)[0]) + (
            rng.choice(PARENT_GIVEN)
        )
        fields = {
            "child_name": child,
            "grade": str(grade),
            "school": _school(rng, grade),
            "guardian_name": guardian,
            "guardian_phone": phone,
            "title": rng.choice(TITLES),
            "statement": _statement(rng) if rng.random() < 0.85 else "",
            "consent": "true",
            "gallery_consent": "true" if rng.random() < GALLERY_CONSENT else "false",
        }
        size = (800, 600) if rng.random() < 0.6 else (600, 800)
        copy_of = 0
        if index in copies:  # the picture of an entry well before, photographed again
            copy_of = rng.randrange(1, index - 2 * SUBMITTING)
        planned.append(
            PlannedEntry(
                number=index + 1,
                seed=year * 1_000 + index,
                size=size,
                submitted_at=moment,
                fields=fields,
                quality=rng.gauss(0, 1),
                withdrawn=index in withdrawn,
                rejection=rejected.get(index, ""),
                copy_of=copy_of,
            )
        )
    return planned


def photo(entry: PlannedEntry, planned: list[PlannedEntry]) -> bytes:
    """The guardian's photo of the drawing, as a JPEG (a copy: the earlier picture, resized)."""
    if entry.copy_of:
        original = planned[entry.copy_of - 1]
        picture = drawing(original.seed, size=original.size)
        width, height = original.size
        picture = picture.resize((round(width * 1.2), round(height * 1.2)))
        quality = 75
    else:
        picture = drawing(entry.seed, size=entry.size)
        quality = 88
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=quality)
    return out.getvalue()


def scores(quality: float, habit: tuple[float, float], rng: random.Random) -> dict[str, int]:
    """One judge's scores of an entry: the drawing's quality through the judge's habits."""
    offset, spread = habit
    given = {}
    for criterion in CRITERIA:
        value = 6.3 + offset + spread * (quality + rng.gauss(0, 0.45)) + rng.gauss(0, 0.5)
        given[criterion["code"]] = min(10, max(1, round(value)))
    return given


# --- loading ------------------------------------------------------------------------------------


@dataclass
class Added:
    """What one `load` did to the contest."""

    entries: int = 0
    rejected: int = 0
    scores: int = 0
    published: bool = False


async def load(events: Iterable[dict], at: datetime, year: int) -> Added:
    """Bring the year's contest to its state at `at` (see the module's docstring)."""
    title = content.CONTEST_WINDOW[0]
    event = next(
        (
            e
            for e in events
            if e["kind"] == "contest" and e["title"] == title and local(e["starts_at"]).year == year
        ),
        None,
    )
    added = Added()
    if event is None or event["status"] != "published":
        return added
    when = timeline(event)
    organizer = await StaffUser.select().where(StaffUser.username == "organizer").first()
    stored = await Contest.select().where(Contest.event == event["id"]).first()
    if stored is None:
        await config.put_config(event["id"], contest_config(when), organizer)
        stored = await Contest.select().where(Contest.event == event["id"]).first()
    if at < when.opens:
        return added
    planned = plan(year, when)
    contest_id = stored["id"]
    if not await Entry.exists().where(Entry.contest == contest_id):
        due = [entry for entry in planned if entry.submitted_at <= at]
        async with _window(contest_id, when, open_now=True):
            added.entries = await _submit(event["id"], planned, due, min(at, when.closes))
    if at >= when.closes and stored["published_at"] is None:
        added.rejected = await _moderate(event["id"], planned, organizer)
    if at >= when.assigned and stored["published_at"] is None:
        if not await Assignment.exists().where(Assignment.contest == contest_id):
            async with _window(contest_id, when, open_now=False):
                await _assign(event["id"], contest_id, when, organizer)
        added.scores = await _score(contest_id, planned, when, at)
    if at >= when.published and stored["published_at"] is None:
        await _publish(event["id"], contest_id, when, organizer)
        added.published = True
    if added.entries or added.rejected or added.published:
        await _quiet(event["id"])
    return added


@asynccontextmanager
async def _window(contest_id: int, when: Timeline, open_now: bool) -> AsyncIterator[None]:
    """The workflows check the real clock: for the steps inside, the submission window is open
    now (`open_now`) or closed by now, moved there if the demo's dates say otherwise, and put
    back to the demo's dates after (directly: `put_config` refuses once results are out)."""
    moment = now()
    is_open = when.opens <= moment < when.closes
    if is_open == open_now and (open_now or moment >= when.closes):
        yield
        return
    if open_now:
        opens, closes = moment - timedelta(minutes=1), moment + timedelta(days=1)
    else:
        opens, closes = moment - timedelta(days=1), moment - timedelta(minutes=1)
    await _set_window(contest_id, opens, closes)
    try:
        yield
    finally:
        await _set_window(contest_id, when.opens, when.closes)


async def _set_window(contest_id: int, opens: datetime, closes: datetime) -> None:
    async with write_transaction():
        await Contest.update(
            {Contest.submissions_open_at: opens, Contest.submissions_close_at: closes}
        ).where(Contest.id == contest_id)


async def _submit(
    event_id: int, planned: list[PlannedEntry], due: list[PlannedEntry], until: datetime
) -> int:
    """Submit the entries due by now through the workflow, a few at a time; then the
    guardians' withdrawals, and the planned submission times (in the order the entries were
    numbered) and withdrawal times (before `until`)."""
    made: list[tuple[PlannedEntry, dict]] = []
    limit = anyio.Semaphore(SUBMITTING)

    async def one(entry: PlannedEntry) -> None:
        async with limit:
            data = await anyio.to_thread.run_sync(photo, entry, planned)
            made.append((entry, await entries.submit(event_id, entry.fields, data)))

    async with anyio.create_task_group() as group:
        for entry in due:
            group.start_soon(one, entry)
    made.sort(key=lambda pair: pair[1]["id"])
    for entry, row in made:
        if entry.withdrawn:
            await entries.withdraw(row["token"])
    times = sorted(entry.submitted_at for entry in due)
    async with write_transaction():
        for (entry, row), at in zip(made, times, strict=True):
            change = {Entry.submitted_at: at, Entry.consent_at: at, Entry.updated_at: at}
            if entry.withdrawn:
                later = max(min(at + timedelta(days=2, hours=3), until), at)
                change[Entry.withdrawn_at] = change[Entry.updated_at] = later
            await Entry.update(change).where(Entry.id == row["id"])
    return len(made)


async def _moderate(event_id: int, planned: list[PlannedEntry], organizer: dict | None) -> int:
    """The organizer's rejections after the close: the planned ones and the copied pictures."""
    rows = await Entry.select(
        Entry.id, Entry.code, Entry.status, Entry.duplicate_of, Entry.guardian_phone
    ).where(Entry.event == event_id)
    by_phone = {row["guardian_phone"]: row for row in rows}
    codes = {row["id"]: row["code"] for row in rows}
    done = 0
    for entry in planned:
        row = by_phone.get(entry.fields["guardian_phone"])
        if row is None or row["status"] != "submitted":
            continue
        reason = entry.rejection
        if entry.copy_of and row["duplicate_of"]:
            reason = f"与作品 {codes[row['duplicate_of']]} 为同一幅画，属重复提交。"
        if reason:
            await moderation.reject(row["id"], reason, organizer)
            done += 1
    return done


async def _assign(event_id: int, contest_id: int, when: Timeline, organizer: dict | None) -> None:
    """The five demo judges, three per entry."""
    await judging.assign(event_id, list(JUDGES), organizer)
    async with write_transaction():
        await Assignment.update({Assignment.created_at: when.assigned}).where(
            Assignment.contest == contest_id
        )


async def _score(contest_id: int, planned: list[PlannedEntry], when: Timeline, at: datetime) -> int:
    """Each judge scores their entries in order, from the assignment to the last day of
    judging; by `at` the share of that time gone by is scored. The scores are checked and
    weighted by the judging workflow's own functions and stored in one transaction (900 calls
    of `judging.score`, a transaction each, took 10 s on SQLite: too slow for `make run`)."""
    contest = await Contest.select().where(Contest.id == contest_id).output(load_json=True).first()
    normalised = weights(contest["criteria"])
    judges = {
        row["id"]: row
        for row in await StaffUser.select().where(StaffUser.username.is_in(list(JUDGES)))
    }
    rows = (
        await Assignment.select(
            Assignment.id,
            Assignment.entry,
            Assignment.judge,
            Assignment.scored_at,
            Assignment.entry.guardian_phone.as_alias("phone"),
        )
        .where(
            (Assignment.contest == contest_id)
            & (Assignment.active == True)  # noqa: E712
            & (Assignment.entry.status == "submitted")
        )
        .order_by(Assignment.entry)
    )
    quality = {entry.fields["guardian_phone"]: entry.quality for entry in planned}
    span = (when.judged - when.assigned).total_seconds()
    by_judge: dict[int, list[dict]] = {}
    for row in rows:
        by_judge.setdefault(row["judge"], []).append(row)
    marks: list[tuple[int, dict[str, int], float, datetime]] = []
    for judge_id, queue in by_judge.items():
        judge = judges.get(judge_id)
        if judge is None:  # not one of the demo's judges
            continue
        habit = JUDGES[judge["username"]]
        for position, row in enumerate(queue):
            moment = when.assigned + timedelta(seconds=span * (position + 1) / len(queue))
            if moment > at or row["scored_at"] is not None:
                continue
            rng = random.Random(f"{judge['username']}|{row['phone']}")
            given = judging.check_scores(
                scores(quality.get(row["phone"], 0.0), habit, rng), contest["criteria"]
            )
            value = float(weighted(given, normalised))
            marks.append((row["id"], given, value, min(_daytime(moment), at)))
    async with write_transaction():
        for assignment_id, given, value, moment in marks:
            await Assignment.update(
                {
                    Assignment.scores: given,
                    Assignment.weighted: value,
                    Assignment.scored_at: moment,
                }
            ).where(Assignment.id == assignment_id)
    return len(marks)


def _daytime(moment: datetime) -> datetime:
    """Judges score between 8:00 and 22:00: a moment in the night moves to the evening before
    (never before the day's start)."""
    local_moment = local(moment)
    if 8 <= local_moment.hour < 22:
        return moment
    if local_moment.hour >= 22:
        return local_moment.replace(hour=21)
    return local_moment.replace(hour=8)


async def _publish(event_id: int, contest_id: int, when: Timeline, organizer: dict | None) -> None:
    await results.compute(event_id)
    await results.publish(event_id, organizer)
    async with write_transaction():
        await Contest.update(
            {
                Contest.published_at: when.published,
                Contest.computed_at: when.published - timedelta(hours=1),
            }
        ).where(Contest.id == contest_id)
        await Entry.update({Entry.updated_at: when.published}).where(
            (Entry.contest == contest_id) & Entry.status.is_in(["selected", "not_selected"])
        )


async def _quiet(event_id: int) -> None:
    """Demo data sends nobody a message: what the workflows queued for these entries goes."""
    ids = [row["id"] for row in await Entry.select(Entry.id).where(Entry.event == event_id)]
    if not ids:
        return
    async with write_transaction():
        for start in range(0, len(ids), 500):
            await OutboxMessage.delete().where(
                (OutboxMessage.subject_type == "contest_entry")
                & OutboxMessage.subject_id.is_in(ids[start : start + 500])
            )


def describe_state(at: datetime, when: Timeline) -> str:
    """What the demo's contest shows at `at`, in a few words (for the report and the tests)."""
    if at < when.opens:
        return "configured"
    if at < when.closes:
        return "open"
    if at < when.assigned:
        return "moderation"
    if at < when.published:
        return "judging"
    return "published"
