"""Moderation: an organizer rejects an entry with a reason the guardian is told, or restores it;
and the reads of the moderation page (a page of a contest's entries filtered by group and
status, the count per status, the earlier entries that flagged ones duplicate)."""

from __future__ import annotations

from typing import Any

from events.accounts import audit
from events.contests.config import contest_event, load
from events.contests.entries import STATUSES, by_id, message_payload
from events.contests.tables import Entry
from events.core.db import write_transaction
from events.core.errors import Conflict, Invalid
from events.core.i18n import gettext as _
from events.core.timeutil import now
from events.notify import messages

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


async def reject(entry_id: int, reason: str, actor: dict | None) -> dict:
    """Moderation: the entry leaves judging; the guardian is told the reason."""
    reason = (reason or "").strip()
    if not reason or len(reason) > 200:
        message = _("请填写不通过的原因（不超过 200 字），它会告知监护人")
        raise Invalid(message, {"reason": message})
    entry = await by_id(entry_id)
    contest = await load(entry["event"])
    if contest["published_at"] is not None:
        raise Conflict(_("结果已发布，不能再审核"))
    if entry["status"] != "submitted":
        raise Conflict(_("只有已提交的作品可以审核不通过"))
    async with write_transaction():
        await Entry.update(
            {Entry.status: "rejected", Entry.reject_reason: reason, Entry.updated_at: now()}
        ).where(Entry.id == entry_id)
        await audit.record(
            actor, "entry.reject", "contest_entry", entry_id, after={"reason": reason}
        )
        await messages.enqueue(
            "entry_rejected",
            None,
            f"entry:{entry_id}:rejected:{int(now().timestamp())}",
            message_payload(entry, reason=reason),
            phone=entry["guardian_phone"],
            subject=("contest_entry", entry_id),
        )
    return await by_id(entry_id)


async def restore(entry_id: int, actor: dict | None) -> dict:
    """Undo a rejection (before publication)."""
    entry = await by_id(entry_id)
    contest = await load(entry["event"])
    if contest["published_at"] is not None or entry["status"] != "rejected":
        raise Conflict(_("这件作品现在不能恢复"))
    async with write_transaction():
        await Entry.update(
            {Entry.status: "submitted", Entry.reject_reason: "", Entry.updated_at: now()}
        ).where(Entry.id == entry_id)
        await audit.record(actor, "entry.restore", "contest_entry", entry_id)
    return await by_id(entry_id)


async def for_organizer(
    event_id: int, group: str | None = None, status: str | None = None
) -> list[dict]:
    """Every entry of a contest (with the child's and guardian's details), in order."""
    await load(event_id)
    query = Entry.select().where(Entry.event == event_id)
    if group:
        query = query.where(Entry.group_code == group)
    if status:
        query = query.where(Entry.status == status)
    return await query.order_by(Entry.id)
