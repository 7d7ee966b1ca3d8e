"""Reads for the organizer's moderation page: a page of a contest's entries (filtered by group
and status), the count per status, and the earlier entries that flagged ones duplicate.

`entries.reject` and `entries.restore` change an entry; this module only reads.
"""

from __future__ import annotations

from typing import Any

from events.contests.config import contest_event, load
from events.contests.entries import STATUSES
from events.contests.tables import Entry

PAGE_SIZE = 60


async def entries_page(
    event_id: int,
    group: str | None = None,
    status: str | None = None,
    code: str | None = None,
    page: int = 1,
    size: int | None = None,
) -> dict[str, Any]:
    """{"rows": the page's entries in order of arrival, "total": entries matching the filters,
    "counts": {status: n} over the group (and code) filter (every status named, zeros too),
    "group_counts": {group code: n} over all entries, "originals": {id: entry} for the earlier
    entries the page's duplicates point to, "pages": n}."""
    size = size or PAGE_SIZE
    await contest_event(event_id)
    contest = await load(event_id)
    where = Entry.contest == contest["id"]
    if group:
        where &= Entry.group_code == group
    if code:
        where &= Entry.code == code.strip().upper()
    counts = dict.fromkeys(STATUSES, 0)
    for row in await Entry.select(Entry.status, Entry.group_code).where(where):
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    group_counts: dict[str, int] = {}
    for row in await Entry.select(Entry.group_code).where(Entry.contest == contest["id"]):
        group_counts[row["group_code"]] = group_counts.get(row["group_code"], 0) + 1
    if status:
        where &= Entry.status == status
    total = sum(counts.values()) if not status else counts.get(status, 0)
    pages = max((total + size - 1) // size, 1)
    page = min(max(page, 1), pages)
    rows = (
        await Entry.select().where(where).order_by(Entry.id).limit(size).offset((page - 1) * size)
    )
    wanted = sorted({row["duplicate_of"] for row in rows if row["duplicate_of"]})
    originals = (
        {
            row["id"]: row
            for row in await Entry.select().where(
                (Entry.contest == contest["id"]) & Entry.id.is_in(wanted)
            )
        }
        if wanted
        else {}
    )
    return {
        "rows": rows,
        "total": total,
        "counts": counts,
        "group_counts": group_counts,
        "originals": originals,
        "page": page,
        "pages": pages,
        "contest": contest,
    }


async def entries_by_id(event_id: int, ids: list[int]) -> dict[int, dict]:
    """The contest's entries with these ids (for the results page: titles, thumbnails,
    statuses, moves and their reasons)."""
    contest = await load(event_id)
    if not ids:
        return {}
    rows = await Entry.select().where((Entry.contest == contest["id"]) & Entry.id.is_in(ids))
    return {row["id"]: row for row in rows}
