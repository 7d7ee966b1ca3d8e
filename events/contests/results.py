"""Results: compute the ranking (nothing entrants see changes), move an entry in or out with a
written reason, publish (entries become selected / not selected, awards and certificate codes
are given, guardians are told), and the public list of the selected works.
"""

from __future__ import annotations

import math
import secrets
from typing import Any

from events.accounts import audit
from events.contests.config import (
    ResultsPublished,
    contest_event,
    default_awards,
    group_rank,
    load,
)
from events.contests.ranking import Candidate, Mark, Ranked, rank
from events.contests.tables import Assignment, Contest, Entry
from events.core.db import write_transaction
from events.core.errors import Conflict, Invalid, NotFound
from events.core.i18n import gettext as _
from events.core.timeutil import local, now
from events.notify import messages
from events.tables import StaffUser

RANKED = ("submitted", "selected", "not_selected")  # neither withdrawn nor rejected
CERTIFICATE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L


async def _ranking(contest: dict) -> dict[str, list[Ranked]]:
    entries = await Entry.select(
        Entry.id, Entry.code, Entry.group_code, Entry.submitted_at, Entry.status, Entry.override
    ).where((Entry.contest == contest["id"]) & Entry.status.is_in(list(RANKED)))
    marks = (
        await Assignment.select(Assignment.judge, Assignment.entry, Assignment.scores)
        .where(
            (Assignment.contest == contest["id"])
            & (Assignment.active == True)  # noqa: E712
            & Assignment.scored_at.is_not_null()
        )
        .output(load_json=True)
    )
    ranked = rank(
        [Candidate(e["id"], e["code"], e["group_code"], e["submitted_at"]) for e in entries],
        [Mark(m["judge"], m["entry"], m["scores"]) for m in marks],
        contest["criteria"],
        contest["selection_share"],
        contest["quotas"],
        groups=[g["code"] for g in contest["groups"]],
    )
    moves = {e["id"]: e["override"] for e in entries if e["override"]}
    for items in ranked.values():
        for item in items:
            if moves.get(item.entry_id) == "in":
                item.selected = True
            elif moves.get(item.entry_id) == "out":
                item.selected = False
    return ranked


async def compute(event_id: int, record: bool = False) -> dict[str, Any]:
    """The contract's response of `results/compute`, with the judges' names added per score.

    Reading only, unless `record` (the API's compute) notes when it was last computed."""
    await contest_event(event_id)
    contest = await load(event_id)
    ranked = await _ranking(contest)
    judge_ids = {p["judge"] for items in ranked.values() for r in items for p in r.per_judge}
    names = {
        row["id"]: row["username"]
        for row in await StaffUser.select(StaffUser.id, StaffUser.username).where(
            StaffUser.id.is_in(sorted(judge_ids) or [0])
        )
    }
    assigned = await Assignment.count().where(
        (Assignment.contest == contest["id"]) & (Assignment.active == True)  # noqa: E712
    )
    if record:
        async with write_transaction():
            await Contest.update({Contest.computed_at: now()}).where(Contest.id == contest["id"])
    by_name = {g["code"]: g["name"] for g in contest["groups"]}
    groups = []
    for code, items in ranked.items():
        groups.append(
            {
                "group": code,
                "name": by_name.get(code, code),
                "entries": len(items),
                "selected": sum(1 for r in items if r.selected),
                "ranking": [_row(r, names) for r in items],
            }
        )
    return {
        "groups": groups,
        "assignments": assigned,
        "published": contest["published_at"] is not None,
    }


def _row(item: Ranked, names: dict[int, str]) -> dict[str, Any]:
    return {
        "entry_id": item.entry_id,
        "code": item.code,
        "judges": item.judges,
        "raw": item.raw,
        "score": item.score,
        "rank": item.rank,
        "selected": item.selected,
        "by_rule": item.by_rule,
        "spread": item.spread,
        "tied": item.tied,
        "per_judge": [
            {"judge": names.get(p["judge"], "?"), "weighted": p["weighted"], "z": p["z"]}
            for p in item.per_judge
        ],
    }


async def move(entry_id: int, direction: str | None, reason: str, actor: dict | None) -> dict:
    """An organizer moves an entry in (`in`) or out (`out`) of the selection, or back to the
    rule (None), with a written reason kept in the audit log."""
    if direction not in ("in", "out", None):
        raise Invalid(_("请选择调入或调出"), {"direction": _("请选择调入或调出")})
    reason = (reason or "").strip()
    if direction and not 2 <= len(reason) <= 300:
        message = _("请写明调整的理由（2–300 字），它会记入操作日志")
        raise Invalid(message, {"reason": message})
    entry = await Entry.select().where(Entry.id == entry_id).first()
    if not entry:
        raise NotFound(_("没有找到这件作品"))
    contest = await load(entry["event"])
    if contest["published_at"] is not None:
        raise ResultsPublished(_("结果已发布，不能再调整"))
    if entry["status"] not in RANKED:
        raise Conflict(_("已撤回或未通过审核的作品不能入选"))
    async with write_transaction():
        await Entry.update({Entry.override: direction, Entry.override_reason: reason}).where(
            Entry.id == entry_id
        )
        await audit.record(
            actor,
            "contest.move",
            "contest_entry",
            entry_id,
            before={"override": entry["override"], "reason": entry["override_reason"]},
            after={"override": direction, "reason": reason},
        )
    return await Entry.select().where(Entry.id == entry_id).first()


def tiers(contest: dict, selected: int) -> list[str]:
    """The award of each selected place of a group, best first."""
    awards = contest["awards"] or []
    if not awards:
        names, out, given = [], [], 0
        for index, tier in enumerate(default_awards()[:-1]):
            count = math.floor(tier["share"] * selected + 0.5)
            if index == 0 and selected:
                count = max(count, 1)  # a group with anything selected has a first prize
            count = min(count, selected - given)
            out += [tier["name"]] * count
            given += count
            names.append(tier["name"])
        return out + [default_awards()[-1]["name"]] * (selected - given)
    out: list[str] = []
    for tier in awards[:-1]:
        out += [tier["name"]] * min(tier["count"], selected - len(out))
    return out + [awards[-1]["name"]] * (selected - len(out))


def certificate_code(contest: dict) -> str:
    year = local(contest["submissions_close_at"]).year % 100
    body = "".join(secrets.choice(CERTIFICATE_ALPHABET) for _ in range(8))
    return f"GS{year:02d}-{body[:4]}-{body[4:]}"


async def publish(event_id: int, actor: dict | None) -> dict[str, Any]:
    """Entries become selected / not selected (scores frozen), awards and certificate codes are
    given, and every guardian is told through the outbox."""
    event = await contest_event(event_id)
    contest = await load(event_id)
    if contest["published_at"] is not None:
        raise ResultsPublished(_("结果已经发布过了"))
    ranked = await _ranking(contest)
    if not any(item.score is not None for items in ranked.values() for item in items):
        raise Conflict(_("还没有任何评分，不能发布结果"))
    used = {
        row["certificate_code"]
        for row in await Entry.select(Entry.certificate_code).where(
            Entry.certificate_code.is_not_null()
        )
    }
    at = now()
    selected_count = 0
    async with write_transaction():
        fresh = (
            await Contest.select(Contest.published_at).where(Contest.id == contest["id"]).first()
        )
        if fresh["published_at"] is not None:
            raise ResultsPublished(_("结果已经发布过了"))
        for items in ranked.values():
            chosen = [item for item in items if item.selected]
            awards = dict(
                zip([i.entry_id for i in chosen], tiers(contest, len(chosen)), strict=True)
            )
            for item in items:
                code = None
                if item.selected:
                    code = certificate_code(contest)
                    while code in used:
                        code = certificate_code(contest)
                    used.add(code)
                    selected_count += 1
                await Entry.update(
                    {
                        Entry.status: "selected" if item.selected else "not_selected",
                        Entry.score: item.score,
                        Entry.raw_score: item.raw,
                        Entry.rank: item.rank,
                        Entry.award: awards.get(item.entry_id),
                        Entry.certificate_code: code,
                        Entry.updated_at: at,
                    }
                ).where(Entry.id == item.entry_id)
        await Contest.update({Contest.published_at: at}).where(Contest.id == contest["id"])
        rows = await Entry.select(
            Entry.id,
            Entry.event,
            Entry.token,
            Entry.code,
            Entry.title,
            Entry.guardian_name,
            Entry.guardian_phone,
            Entry.status,
            Entry.award,
        ).where((Entry.contest == contest["id"]) & Entry.status.is_in(["selected", "not_selected"]))
        for row in rows:
            kind = "entry_selected" if row["status"] == "selected" else "entry_not_selected"
            await messages.enqueue(
                kind,
                None,
                f"entry:{row['id']}:result",
                {
                    "event_id": row["event"],
                    "name": row["guardian_name"],
                    "entry_token": row["token"],
                    "code": row["code"],
                    "work": row["title"],
                    "award": row["award"] or "",
                },
                phone=row["guardian_phone"],
                subject=("contest_entry", row["id"]),
            )
        await audit.record(
            actor,
            "contest.publish",
            "event",
            event_id,
            after={"title": event["title"], "selected": selected_count, "entries": len(rows)},
        )
    return {"status": "published", "selected": selected_count, "entries": len(rows)}


def mask_name(name: str) -> str:
    """陈*明 (first and last kept, one * per hidden character); 欧**雨; 陈* for two characters."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


async def public_results(event_id: int) -> list[dict]:
    """The selected entries, best first within each group (NotFound before publication)."""
    await contest_event(event_id)
    contest = await load(event_id)
    if contest["published_at"] is None:
        raise NotFound(_("评选结果尚未公布"))
    order = group_rank(contest)
    rows = await Entry.select(
        Entry.id,
        Entry.code,
        Entry.group_code,
        Entry.title,
        Entry.child_name,
        Entry.school,
        Entry.award,
        Entry.rank,
        Entry.gallery_consent,
        Entry.thumbnail_key,
        Entry.screen_key,
        Entry.grade,
        Entry.statement,
        Entry.erased_at,
    ).where((Entry.contest == contest["id"]) & (Entry.status == "selected"))
    rows.sort(key=lambda r: (order.get(r["group_code"], 99), r["rank"] or 0))
    return rows


async def by_certificate(code: str) -> dict | None:
    """The selected entry a certificate code belongs to, with its contest's event; or None."""
    code = (code or "").strip().upper()
    if not 6 <= len(code) <= 24:
        return None
    row = (
        await Entry.select(
            Entry.id,
            Entry.code,
            Entry.event,
            Entry.child_name,
            Entry.award,
            Entry.group_code,
            Entry.title,
            Entry.certificate_code,
            Entry.status,
            Entry.event.title.as_alias("event_title"),
            Entry.contest.published_at.as_alias("published_at"),
        )
        .where((Entry.certificate_code == code) & (Entry.status == "selected"))
        .first()
    )
    return row
