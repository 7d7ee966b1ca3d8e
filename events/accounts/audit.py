"""The audit log: who did what, when, with the object before and after."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

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
