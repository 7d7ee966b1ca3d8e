"""Personal data of past events is anonymised after a retention period an admin sets.

`anonymise_past` keeps a registration's counts (party size, status, check-in time) for the
statistics and removes who it was: the name becomes `已匿名`, the phone NULL, e-mail, company
and answers empty. The outbox rows of those registrations lose their recipient and payload too
(a message not yet delivered by then is given up). It only touches rows not yet anonymised, so
running it again changes nothing; each run that anonymised something leaves one audit row.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from events.accounts import audit
from events.core import numbers, timeutil
from events.core.db import write_transaction
from events.core.errors import Invalid
from events.core.i18n import gettext as _
from events.tables import OutboxMessage, Registration, Setting

KEY = "retention_days"
DEFAULT_DAYS = 180
MIN_DAYS, MAX_DAYS = 30, 3650
ANONYMOUS_NAME = "已匿名"  # stored data, not an interface string


def _load(value: Any) -> Any:
    if isinstance(value, str | bytes):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _valid(days: Any) -> bool:
    return isinstance(days, int) and not isinstance(days, bool) and MIN_DAYS <= days <= MAX_DAYS


async def get_retention_days() -> int:
    """The admin's setting, or 180 days when none (or a broken one) is stored."""
    row = await Setting.select(Setting.value).where(Setting.key == KEY).first()
    days = _load(row["value"]) if row else None
    return days if _valid(days) else DEFAULT_DAYS


async def set_retention_days(days: Any, actor: dict | None) -> int:
    """Store the retention period (30 to 3650 days) and audit the change."""
    if isinstance(days, str) and (number := numbers.whole(days)) is not None:
        days = number
    if not _valid(days):
        message = _("保留天数应在 {low} 到 {high} 之间").format(low=MIN_DAYS, high=MAX_DAYS)
        raise Invalid(message, {KEY: message})
    async with write_transaction():
        before = await get_retention_days()
        await Setting.raw(
            "INSERT INTO setting (key, value, updated_at) VALUES ({}, {}, {})"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
            " updated_at = excluded.updated_at",
            KEY,
            json.dumps(days),
            timeutil.now(),
        )
        await audit.record(
            actor, "settings.retention", "setting", None, before={KEY: before}, after={KEY: days}
        )
    return days


async def anonymise_past(now: datetime | None = None) -> int:
    """Anonymise registrations of events that ended more than the retention period before
    `now`; the number of registrations anonymised by this run."""
    at = now or timeutil.now()
    days = await get_retention_days()
    cutoff = at - timedelta(days=days)
    async with write_transaction():
        rows = await Registration.raw(
            "UPDATE registration SET name = {}, phone = NULL, email = '', company = '',"
            " answers = {}, anonymised_at = {}"
            " WHERE anonymised_at IS NULL"
            " AND event IN (SELECT id FROM event WHERE ends_at < {})"
            " RETURNING id",
            ANONYMOUS_NAME,
            "{}",
            at,
            cutoff,
        )
        if not rows:
            return 0
        await OutboxMessage.raw(
            "UPDATE outbox_message SET recipient = '', payload = {},"
            " last_error = CASE WHEN status IN ('pending', 'sending')"
            " THEN 'anonymised before delivery' ELSE last_error END,"
            " status = CASE WHEN status IN ('pending', 'sending') THEN 'failed' ELSE status END"
            " WHERE recipient <> '' AND subject_type = 'registration' AND subject_id IN"
            " (SELECT id FROM registration WHERE anonymised_at IS NOT NULL)",
            "{}",
        )
        await audit.record(
            None,
            "retention.anonymise",
            "registration",
            None,
            after={"count": len(rows), "retention_days": days, "ended_before": cutoff},
        )
    return len(rows)
