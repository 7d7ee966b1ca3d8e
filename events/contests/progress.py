"""Reads for the organizer's judging page: who can judge, and each judge's progress.

Nothing here changes anything; `judging` assigns and scores.
"""

from __future__ import annotations

from typing import Any

from events.contests.config import contest_event, load
from events.contests.judging import JUDGED
from events.contests.tables import Assignment, Entry
from events.tables import StaffUser


async def available_judges() -> list[dict[str, Any]]:
    """Active users with the role `judge`, by username: {"id", "username", "display_name"}."""
    return (
        await StaffUser.select(StaffUser.id, StaffUser.username, StaffUser.display_name)
        .where((StaffUser.role == "judge") & (StaffUser.active == True))  # noqa: E712
        .order_by(StaffUser.username)
    )


async def judge_progress(event_id: int) -> dict[str, Any]:
    """Per judge of the contest: entries assigned (active, on entries still judged), scored,
    conflicts declared; and the entries in judging with how many judges each has.

    {"judges": [{"username", "display_name", "active_user", "assigned", "scored",
    "conflicts"}], "entries": n submitted, "assigned_entries": n with k judges,
    "short_entries": n with fewer than k (0 < judges < k), "unassigned": n with none,
    "scored_entries": n scored by every judge assigned, "judges_per_entry": k}
    """
    await contest_event(event_id)
    contest = await load(event_id)
    status_of = {
        row["id"]: row["status"]
        for row in await Entry.select(Entry.id, Entry.status).where(Entry.contest == contest["id"])
    }
    rows = await Assignment.select(
        Assignment.entry,
        Assignment.judge,
        Assignment.active,
        Assignment.conflict,
        Assignment.scored_at,
        Assignment.judge.username.as_alias("username"),
        Assignment.judge.display_name.as_alias("display_name"),
        Assignment.judge.active.as_alias("active_user"),
    ).where(Assignment.contest == contest["id"])
    judges: dict[int, dict[str, Any]] = {}
    per_entry: dict[int, list[bool]] = {}
    for row in rows:
        judge = judges.setdefault(
            row["judge"],
            {
                "username": row["username"],
                "display_name": row["display_name"],
                "active_user": row["active_user"],
                "assigned": 0,
                "scored": 0,
                "conflicts": 0,
            },
        )
        if row["conflict"]:
            judge["conflicts"] += 1
        if row["active"] and status_of.get(row["entry"]) in JUDGED:
            judge["assigned"] += 1
            scored = row["scored_at"] is not None
            judge["scored"] += scored
            per_entry.setdefault(row["entry"], []).append(scored)
    k = contest["judges_per_entry"]
    judged = [entry for entry, status in status_of.items() if status in JUDGED]
    counts = [len(per_entry.get(entry, [])) for entry in judged]
    return {
        "judges": sorted(judges.values(), key=lambda j: j["username"]),
        "entries": len(judged),
        "assigned_entries": sum(1 for n in counts if n >= k),
        "short_entries": sum(1 for n in counts if 0 < n < k),
        "unassigned": sum(1 for n in counts if n == 0),
        "scored_entries": sum(
            1 for entry in judged if per_entry.get(entry) and all(per_entry[entry])
        ),
        "judges_per_entry": k,
    }
