"""After a contest's retention period, entries that were not selected lose their pictures and
the personal data in them; counts, and selected works, stay.

The period (`retention_days` of the contest, 365 by default) runs from the contest's end: the
later of the event's end, the submission close and the publication. For every entry not
`selected` the three stored pictures are deleted, and the child's and guardian's names, the
guardian's phone and the statement are cleared (`erased_at` is set); group, grade, school,
status and scores stay, so the year's statistics do not change. Their outbox rows lose their
recipient and payload. Running it again changes nothing; a run that erased something leaves one
audit row.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from events.accounts import audit
from events.contests.storage import storage
from events.contests.tables import Contest, Entry
from events.core import timeutil
from events.core.db import write_transaction
from events.notify import outbox
from events.tables import OutboxMessage

log = logging.getLogger("canal.contests")
ERASED_NAME = "已删除"  # stored data, not an interface string


async def expired_contests(at: datetime) -> list[int]:
    rows = await Contest.select(
        Contest.id,
        Contest.retention_days,
        Contest.submissions_close_at,
        Contest.published_at,
        Contest.event.ends_at.as_alias("ends_at"),
    )
    out = []
    for row in rows:
        moments = (row["ends_at"], row["submissions_close_at"], row["published_at"])
        end = max(m for m in moments if m)
        if end + timedelta(days=row["retention_days"]) < at:
            out.append(row["id"])
    return out


async def erase_expired(at: datetime | None = None) -> int:
    """Erase the expired non-selected entries; how many were erased by this run."""
    at = at or timeutil.now()
    contests = await expired_contests(at)
    if not contests:
        return 0
    rows = await Entry.select(
        Entry.id, Entry.image_key, Entry.screen_key, Entry.thumbnail_key
    ).where(
        Entry.contest.is_in(contests) & (Entry.status != "selected") & Entry.erased_at.is_null()
    )
    if not rows:
        return 0
    ids = [row["id"] for row in rows]
    async with write_transaction():
        await Entry.update(
            {
                Entry.child_name: ERASED_NAME,
                Entry.guardian_name: "",
                Entry.guardian_phone: "",
                Entry.statement: "",
                Entry.image_key: "",
                Entry.screen_key: "",
                Entry.thumbnail_key: "",
                Entry.phash: "",
                Entry.erased_at: at,
            }
        ).where(Entry.id.is_in(ids))
        await OutboxMessage.update(
            {OutboxMessage.recipient: "", OutboxMessage.payload: "{}"}
        ).where(
            (OutboxMessage.subject_type == "contest_entry") & OutboxMessage.subject_id.is_in(ids)
        )
        await audit.record(
            None, "retention.contest_entries", "contest_entry", None, after={"count": len(ids)}
        )
    files = storage()
    for row in rows:
        for key in (row["image_key"], row["screen_key"], row["thumbnail_key"]):
            if key:
                try:
                    await files.delete(key)
                except Exception as error:  # the row no longer points at it; log and go on
                    log.warning("could not delete %s: %s", key, error)
    return len(ids)


@outbox.on_daily
async def erase_expired_entries(at: datetime) -> str:
    return f"{await erase_expired(at)} contest entries erased"
