"""The audit log: who did what, when, with the object before and after; and its reading: the
newest rows of an object, the log page (filtered by group of actions, paged by id)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from events.core.i18n import N_
from events.tables import AuditLog


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


async def record(
    actor: dict | None,
    action: str,
    object_type: str,
    object_id: int | None,
    before: dict | None = None,
    after: dict | None = None,
) -> None:
    """Write one audit row; call it inside the workflow's transaction."""
    await AuditLog.insert(
        AuditLog(
            actor=actor["id"] if actor else None,
            actor_name=actor["username"] if actor else "system",
            action=action,
            object_type=object_type,
            object_id=object_id,
            before=_jsonable(before) if before is not None else None,
            after=_jsonable(after) if after is not None else None,
        )
    )


def changed(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the fields that changed, for a compact audit entry."""
    keys = [key for key in after if before.get(key) != after.get(key)]
    return {key: before.get(key) for key in keys}, {key: after[key] for key in keys}


async def recent(
    limit: int = 100,
    object_type: str | None = None,
    object_id: int | None = None,
    action_prefix: str | None = None,
) -> list[dict]:
    """The newest rows first, optionally of one object or of actions starting with a prefix."""
    query = AuditLog.select(
        AuditLog.all_columns(), AuditLog.actor.username.as_alias("actor_username")
    ).order_by(AuditLog.id, ascending=False)
    if object_type:
        query = query.where(AuditLog.object_type == object_type)
    if object_id is not None:
        query = query.where(AuditLog.object_id == object_id)
    if action_prefix:
        # LIKE wildcards differ between engines: drop them, then compare exactly in Python.
        pattern = "".join(char for char in action_prefix if char not in "%_\\") + "%"
        query = query.where(AuditLog.action.like(pattern))
        rows = await query.limit(limit)
        return [row for row in rows if row["action"].startswith(action_prefix)]
    return await query.limit(limit)


# --- the log page: one page of the whole log, a filter by group of actions ------------------

# The filter of the log page: a group of actions by their prefixes.
ACTION_GROUPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "event": (N_("活动"), ("event.",)),
    "registration": (N_("报名"), ("registration.", "checkin.")),
    "account": (N_("账号"), ("user.", "token.")),
    "export": (N_("导出"), ("export.",)),
    "goals": (N_("年度目标"), ("goals.",)),
    "retention": (N_("数据保留"), ("settings.", "retention.")),
    "contest": (N_("比赛"), ("contest.", "entry.")),
    "demo": (N_("演示数据"), ("demo.",)),
}
PAGE_SIZE = 50


def group_prefixes(action: str | None) -> tuple[str, ...]:
    """The action prefixes of a filter: a group's key, or (older links) a prefix itself."""
    if not action:
        return ()
    if action in ACTION_GROUPS:
        return ACTION_GROUPS[action][1]
    return (action,)


def _matching(prefixes: tuple[str, ...]):
    """A where-clause of actions starting with one of the prefixes (LIKE wildcards dropped;
    the rows are checked exactly in Python too)."""
    clause = None
    for prefix in prefixes:
        pattern = "".join(char for char in prefix if char not in "%_\\") + "%"
        part = AuditLog.action.like(pattern)
        clause = part if clause is None else clause | part
    return clause


def _query(prefixes: tuple[str, ...]):
    query = AuditLog.select(
        AuditLog.all_columns(), AuditLog.actor.username.as_alias("actor_username")
    )
    clause = _matching(prefixes)
    return query.where(clause) if clause is not None else query


async def _exists(prefixes: tuple[str, ...], newer_than: int | None, older_than: int | None):
    query = AuditLog.select(AuditLog.id, AuditLog.action)
    clause = _matching(prefixes)
    if clause is not None:
        query = query.where(clause)
    if newer_than is not None:
        query = query.where(AuditLog.id > newer_than).order_by(AuditLog.id)
    if older_than is not None:
        query = query.where(AuditLog.id < older_than).order_by(AuditLog.id, ascending=False)
    rows = await query.limit(PAGE_SIZE)
    return any(_starts(row["action"], prefixes) for row in rows)


def _starts(action: str, prefixes: tuple[str, ...]) -> bool:
    return not prefixes or action.startswith(prefixes)


async def log_page(
    action: str | None = None,
    before: int | None = None,
    after: int | None = None,
    size: int | None = None,
) -> dict:
    """One page of the whole log, newest first: rows with ids below `before` (older) or above
    `after` (newer), optionally of one action group (`ACTION_GROUPS`, or an action prefix).
    {rows, older, newer}: the ids to page on, None at either end."""
    size = size or PAGE_SIZE
    prefixes = group_prefixes(action)
    query = _query(prefixes)
    if after is not None:
        rows = await query.where(AuditLog.id > after).order_by(AuditLog.id).limit(size)
        rows = list(reversed(rows))
    else:
        if before is not None:
            query = query.where(AuditLog.id < before)
        rows = await query.order_by(AuditLog.id, ascending=False).limit(size)
    rows = [row for row in rows if _starts(row["action"], prefixes)]
    if not rows and after is not None:  # nothing newer (any more): the newest page
        return await log_page(action, size=size)
    if not rows:
        return {"rows": [], "older": None, "newer": None}
    newest, oldest = rows[0]["id"], rows[-1]["id"]
    return {
        "rows": rows,
        "older": oldest if await _exists(prefixes, None, oldest) else None,
        "newer": newest if await _exists(prefixes, newest, None) else None,
    }


async def of_event_registrations(event_id: int, limit: int = 50) -> list[dict]:
    """The newest rows about the registrations now in the event, newest first, each with the
    registrant's name as `person`."""
    return await AuditLog.raw(
        "SELECT audit_log.*, staff_user.username AS actor_username, registration.name AS person"
        " FROM audit_log JOIN registration ON registration.id = audit_log.object_id"
        " LEFT JOIN staff_user ON staff_user.id = audit_log.actor"
        " WHERE audit_log.object_type = 'registration' AND registration.event = {}"
        " ORDER BY audit_log.id DESC LIMIT {}",
        event_id,
        limit,
    )
