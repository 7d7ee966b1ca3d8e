"""Judging: assigning entries to judges, conflicts of interest, a judge's queue and scores.

Blind by construction: nothing here that a judge's request reaches reads the child's name,
school or guardian. A judge sees and changes only their own assignments.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from events.accounts import audit
from events.contests import assignment
from events.contests.config import ResultsPublished, contest_event, load, submissions_open
from events.contests.entries import Closed
from events.contests.ranking import weights
from events.contests.tables import Assignment, Entry
from events.core.db import write_transaction
from events.core.errors import Conflict, Forbidden, Invalid, NotFound
from events.core.i18n import gettext as _
from events.core.timeutil import now
from events.tables import StaffUser

MIN_SCORE, MAX_SCORE = 1, 10
JUDGED = ("submitted", "selected", "not_selected")  # entries a judge still sees


class NotAssigned(Forbidden):
    code = "not_assigned"


async def _judges(usernames: list[str]) -> list[dict]:
    if not isinstance(usernames, list) or not usernames or len(usernames) > 200:
        raise Invalid(_("请选择评委"), {"judges": _("请选择评委")})
    names = list(dict.fromkeys(str(name).strip() for name in usernames))
    rows = await StaffUser.select(
        StaffUser.id, StaffUser.username, StaffUser.role, StaffUser.active
    ).where(StaffUser.username.is_in(names))
    found = {row["username"]: row for row in rows}
    wrong = [
        n for n in names if n not in found or found[n]["role"] != "judge" or not found[n]["active"]
    ]
    if wrong:
        message = _("这些账号不是评委：{names}").format(names="、".join(wrong[:10]))
        raise Invalid(message, {"judges": message})
    return [found[name] for name in names]


async def assign(event_id: int, usernames: list[str], actor: dict | None) -> list[dict]:
    """Give every `submitted` entry its judges; scores already given stay where they are."""
    await contest_event(event_id)
    contest = await load(event_id)
    if contest["published_at"] is not None:
        raise ResultsPublished(_("结果已发布，不能再分配评委"))
    if now() < contest["submissions_close_at"] or submissions_open(contest):
        raise Closed(_("作品征集还没有截止，截止后才能分配评委"))
    judges = await _judges(usernames)
    pool = [judge["id"] for judge in judges]
    async with write_transaction():
        entries = (
            await Entry.select(Entry.id, Entry.status)
            .where(Entry.contest == contest["id"])
            .order_by(Entry.id)
        )
        active = [e["id"] for e in entries if e["status"] == "submitted"]
        rows = await Assignment.select().where(Assignment.contest == contest["id"])
        kept: dict[int, list[int]] = {}
        excluded: dict[int, list[int]] = {}
        for row in rows:
            if row["conflict"]:
                excluded.setdefault(row["entry"], []).append(row["judge"])
            elif row["scored_at"] is not None and row["active"]:
                kept.setdefault(row["entry"], []).append(row["judge"])
        # Unscored assignments are dealt again; scored ones and conflicts stay.
        await Assignment.delete().where(
            (Assignment.contest == contest["id"])
            & Assignment.scored_at.is_null()
            & (Assignment.conflict == False)  # noqa: E712 - Piccolo builds SQL from ==
        )
        dealt = assignment.assign(
            active,
            pool,
            contest["judges_per_entry"],
            kept={e: kept.get(e, []) for e in active},
            excluded=excluded,
            seed=contest["id"],
        )
        new = [
            Assignment(contest=contest["id"], entry=entry, judge=judge, active=True)
            for entry, chosen in dealt.items()
            for judge in chosen
            if judge not in kept.get(entry, [])
        ]
        for start in range(0, len(new), 500):
            await Assignment.insert(*new[start : start + 500])
        await audit.record(
            actor,
            "contest.assign",
            "event",
            event_id,
            after={"judges": [j["username"] for j in judges], "entries": len(active)},
        )
    names = {
        row["id"]: row["username"]
        for row in await StaffUser.select(StaffUser.id, StaffUser.username).where(
            StaffUser.id.is_in(sorted({j for c in dealt.values() for j in c}) or [0])
        )
    }
    return [
        {"entry_id": entry, "judges": [names[j] for j in chosen]} for entry, chosen in dealt.items()
    ]


async def _mine(entry_id: int, judge: dict) -> dict:
    row = (
        await Assignment.select()
        .where(
            (Assignment.entry == entry_id)
            & (Assignment.judge == judge["id"])
            & (Assignment.active == True)  # noqa: E712
        )
        .first()
    )
    if not row:
        raise NotAssigned(_("这件作品没有分配给您"))
    return row


async def declare_conflict(entry_id: int, judge: dict, reason: str = "") -> int | None:
    """The judge steps back from an entry (their own student, say); another judge takes it.

    Returns the new judge's id, or None when no judge of this contest is free for it.
    """
    mine = await _mine(entry_id, judge)
    entry = await Entry.select(Entry.event, Entry.status).where(Entry.id == entry_id).first()
    contest = await load(entry["event"])
    if contest["published_at"] is not None:
        raise ResultsPublished(_("结果已发布"))
    reason = (reason or "").strip()[:200]
    async with write_transaction():
        # Claim the assignment: of two requests at once only one finds it still active.
        claimed = (
            await Assignment.update(
                {
                    Assignment.conflict: True,
                    Assignment.conflict_reason: reason,
                    Assignment.active: False,
                    Assignment.scores: None,
                    Assignment.weighted: None,
                    Assignment.scored_at: None,
                }
            )
            .where((Assignment.id == mine["id"]) & (Assignment.active == True))  # noqa: E712
            .returning(Assignment.id)
        )
        if not claimed:
            return None
        chosen = None
        if entry["status"] == "submitted":  # a withdrawn or rejected entry needs no new judge
            chosen = await _replacement(contest["id"], entry_id)
        if chosen is not None:
            await Assignment.insert(
                Assignment(contest=contest["id"], entry=entry_id, judge=chosen, active=True)
            )
        await audit.record(
            judge,
            "contest.conflict",
            "contest_entry",
            entry_id,
            after={"reason": reason, "reassigned_to": chosen},
        )
    return chosen


async def _replacement(contest_id: int, entry_id: int) -> int | None:
    """The least-loaded active judge of this contest not yet on the entry (nor stepped back)."""
    rows = await Assignment.select(Assignment.entry, Assignment.judge, Assignment.active).where(
        Assignment.contest == contest_id
    )
    on_entry = {row["judge"] for row in rows if row["entry"] == entry_id}
    judges = {row["judge"] for row in rows}
    usable = {
        row["id"]
        for row in await StaffUser.select(StaffUser.id).where(
            StaffUser.id.is_in(sorted(judges) or [0])
            & (StaffUser.role == "judge")
            & (StaffUser.active == True)  # noqa: E712
        )
    }
    load_of = dict.fromkeys(usable - on_entry, 0)
    for row in rows:
        if row["active"] and row["judge"] in load_of:
            load_of[row["judge"]] += 1
    free = sorted((n, j) for j, n in load_of.items())
    return free[0][1] if free else None


async def _entry_event(entry_id: int) -> int:
    row = await Entry.select(Entry.event).where(Entry.id == entry_id).first()
    if not row:
        raise NotFound(_("没有找到这件作品"))
    return row["event"]


async def queue(judge: dict, event_id: int | None = None) -> list[dict[str, Any]]:
    """The judge's own active assignments, blind: code, group, title, statement, the picture."""
    query = Assignment.select(
        Assignment.entry,
        Assignment.scores,
        Assignment.entry.event.as_alias("event_id"),
        Assignment.entry.code.as_alias("code"),
        Assignment.entry.group_code.as_alias("group"),
        Assignment.entry.title.as_alias("title"),
        Assignment.entry.statement.as_alias("statement"),
        Assignment.entry.status.as_alias("status"),
        Assignment.entry.image_key.as_alias("image_key"),
        Assignment.entry.screen_key.as_alias("screen_key"),
        Assignment.entry.thumbnail_key.as_alias("thumbnail_key"),
    ).where((Assignment.judge == judge["id"]) & (Assignment.active == True))  # noqa: E712
    if event_id is not None:
        query = query.where(Assignment.entry.event == event_id)
    rows = await query.order_by(Assignment.entry).output(load_json=True)
    return [row for row in rows if row["status"] in JUDGED]


def check_scores(raw: Any, criteria: list[dict]) -> dict[str, int]:
    codes = [item["code"] for item in criteria]
    if not isinstance(raw, dict):
        raise Invalid(_("请为每一项评分"), {"scores": _("请为每一项评分")})
    errors: dict[str, str] = {}
    scores: dict[str, int] = {}
    for code in codes:
        value = raw.get(code)
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                errors[code] = _("请为这一项打分（1–10 的整数）")
                continue
        if not MIN_SCORE <= value <= MAX_SCORE:
            errors[code] = _("分数须在 1 到 10 之间")
        else:
            scores[code] = value
    unknown = [key for key in raw if key not in codes]
    if unknown:
        errors["scores"] = _("没有这些评分项：{codes}").format(
            codes="、".join(map(str, unknown[:5]))
        )
    if errors:
        raise Invalid(next(iter(errors.values())), errors)
    return scores


async def score(entry_id: int, judge: dict, raw: Any) -> dict[str, int]:
    mine = await _mine(entry_id, judge)
    entry = await Entry.select(Entry.event, Entry.status).where(Entry.id == entry_id).first()
    contest = await load(entry["event"])
    if contest["published_at"] is not None:
        raise ResultsPublished(_("结果已发布，评分已锁定"))
    if entry["status"] != "submitted":
        raise Conflict(_("这件作品已撤回或未通过审核，无需评分"))
    scores = check_scores(raw, contest["criteria"])
    normalised = weights(contest["criteria"])
    value = sum((normalised[c] * Fraction(n) for c, n in scores.items()), Fraction(0))
    async with write_transaction():
        await Assignment.update(
            {
                Assignment.scores: scores,
                Assignment.weighted: float(value),
                Assignment.scored_at: now(),
            }
        ).where((Assignment.id == mine["id"]) & (Assignment.active == True))  # noqa: E712
    return scores


async def progress(judge: dict, event_id: int) -> tuple[int, int]:
    """(scored, assigned) of the judge's queue for a contest."""
    items = await queue(judge, event_id)
    return sum(1 for item in items if item["scores"] is not None), len(items)
