"""What the public sees: published events, upcoming by default, filtered and searched."""

from __future__ import annotations

from datetime import datetime

from events.core.db import is_sqlite
from events.core.timeutil import clamp_years, now
from events.tables import Event


def _like_pattern(text: str) -> str:
    # LIKE wildcards and escapes differ between the engines: drop them from the search text.
    cleaned = "".join(char for char in text if char not in "%_\\")
    return f"%{cleaned}%"


async def list_events(
    kind: str | None = None,
    street: str | None = None,
    search: str | None = None,
    start_from: datetime | None = None,
    start_to: datetime | None = None,
    include_past: bool = False,
    past_only: bool = False,
    statuses: tuple[str, ...] = ("published",),
    limit: int = 500,
    offset: int = 0,
) -> list[dict]:
    query = _filtered(
        Event.select(),
        kind,
        street,
        search,
        start_from,
        start_to,
        include_past,
        past_only,
        statuses,
    )
    return (
        await query.order_by(Event.starts_at, ascending=not past_only)
        .order_by(Event.id)
        .limit(limit)
        .offset(offset)
    )


async def count_events(
    kind: str | None = None,
    street: str | None = None,
    search: str | None = None,
    start_from: datetime | None = None,
    start_to: datetime | None = None,
    include_past: bool = False,
    past_only: bool = False,
    statuses: tuple[str, ...] = ("published",),
) -> int:
    """How many events `list_events` with the same filters would list, without a limit."""
    return await _filtered(
        Event.count(), kind, street, search, start_from, start_to, include_past, past_only, statuses
    )


def _filtered(query, kind, street, search, start_from, start_to, include_past, past_only, statuses):
    """The catalogue's filters on a select or count of events."""
    query = query.where(Event.status.is_in(list(statuses)))
    moment = now()
    if past_only:
        query = query.where(Event.ends_at < moment)
    elif not include_past:
        query = query.where(Event.ends_at >= moment)
    if kind:
        query = query.where(Event.kind == kind)
    if street:
        query = query.where(Event.street == street)
    if search:
        pattern = _like_pattern(search.strip()[:100])
        # SQLite's LIKE already ignores ASCII case; PostgreSQL needs ILIKE.
        title = Event.title.like(pattern) if is_sqlite() else Event.title.ilike(pattern)
        query = query.where(title)
    if start_from:
        query = query.where(Event.starts_at >= clamp_years(start_from))
    if start_to:
        query = query.where(Event.starts_at <= clamp_years(start_to))
    return query


async def streets_in_use() -> list[str]:
    rows = await Event.select(Event.street).where(Event.street != "").distinct()
    return sorted(row["street"] for row in rows)


async def programme_preview(per_kind: int) -> list[dict]:
    """The first `per_kind` upcoming published events of every kind, each row with `kind_total`
    (how many upcoming events that kind has): one query, with window functions."""
    return await Event.raw(
        "SELECT * FROM ("
        " SELECT event.*,"
        "  ROW_NUMBER() OVER (PARTITION BY kind ORDER BY starts_at, id) AS kind_rank,"
        "  COUNT(*) OVER (PARTITION BY kind) AS kind_total"
        " FROM event WHERE status = 'published' AND ends_at >= {}"
        ") AS upcoming WHERE kind_rank <= {} ORDER BY starts_at, id",
        now(),
        per_kind,
    )
