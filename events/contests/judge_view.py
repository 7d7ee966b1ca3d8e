"""What a judge's pages read: their contests with progress, and where an entry sits in their
queue (previous, next, the next one still to score).

Reads only: the queue comes from `judging.queue` (blind by construction: no child, school or
guardian), the rest is the events' titles and dates and whether results are out.
"""

from __future__ import annotations

from typing import Any

from events.contests import judging
from events.contests.tables import Contest
from events.tables import Event


async def contests_for(judge: dict) -> list[dict[str, Any]]:
    """The contests in which the judge has entries to score: the event's id, title and dates,
    `scored` / `assigned`, and `published`. Unfinished ones first, then the latest first."""
    items = await judging.queue(judge)
    counts: dict[int, list[int]] = {}
    for item in items:
        scored, assigned = counts.setdefault(item["event_id"], [0, 0])
        counts[item["event_id"]] = [scored + (item["scores"] is not None), assigned + 1]
    if not counts:
        return []
    ids = sorted(counts)
    events = await Event.select(Event.id, Event.title, Event.starts_at, Event.ends_at).where(
        Event.id.is_in(ids)
    )
    published = {
        row["event"]: row["published_at"] is not None
        for row in await Contest.select(Contest.event, Contest.published_at).where(
            Contest.event.is_in(ids)
        )
    }
    out = [
        {
            "event_id": event["id"],
            "title": event["title"],
            "starts_at": event["starts_at"],
            "ends_at": event["ends_at"],
            "scored": counts[event["id"]][0],
            "assigned": counts[event["id"]][1],
            "published": published.get(event["id"], False),
        }
        for event in events
    ]
    out.sort(key=lambda row: row["event_id"], reverse=True)
    out.sort(key=lambda row: row["starts_at"], reverse=True)
    out.sort(key=lambda row: row["scored"] >= row["assigned"])
    return out


def next_unscored(items: list[dict], after: int | None = None) -> int | None:
    """The entry id of the first unscored item after `after` in queue order, wrapping round to
    the start; the first unscored one when `after` is None or not in the queue. `after`
    itself is never the answer."""
    ids = [item["entry"] for item in items]
    start = ids.index(after) + 1 if after in ids else 0
    for item in items[start:] + items[:start]:
        if item["scores"] is None and item["entry"] != after:
            return item["entry"]
    return None


def position(items: list[dict], entry_id: int) -> dict[str, Any] | None:
    """Where an entry sits in the judge's queue: the item, its 1-based `number`, the ids of
    the `previous` and `next` items (None at either end), or None if it is not in the queue."""
    ids = [item["entry"] for item in items]
    if entry_id not in ids:
        return None
    index = ids.index(entry_id)
    return {
        "item": items[index],
        "number": index + 1,
        "previous": ids[index - 1] if index > 0 else None,
        "next": ids[index + 1] if index + 1 < len(ids) else None,
    }
