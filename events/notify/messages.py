"""Messages to residents, queued through the transactional outbox.

`enqueue` is called inside the workflow's transaction, so a message exists exactly when the
change it announces was committed. Delivery is `events.notify.outbox`'s job.
"""

from __future__ import annotations

from typing import Any

from events.core.timeutil import now
from events.tables import OutboxMessage

KINDS = ("confirmed", "waitlisted", "promoted", "cancelled", "event_cancelled", "reminder", "code")


async def enqueue(
    kind: str,
    registration: dict | None,
    dedupe: str,
    payload: dict[str, Any],
    phone: str | None = None,
    email: str | None = None,
    subject: tuple[str, int] | None = None,
) -> None:
    """Queue `kind` for the registration's phone (SMS) and, if given, e-mail.

    `subject` names what the message is about as (type, id); it defaults to the registration.
    Other areas pass `registration=None`, their own subject and the recipients. `dedupe` names
    this occurrence (e.g. the registration's id and sequence number); the unique `dedupe_key`
    makes queuing the same message twice a no-op. `kind` names are unique across areas.
    """
    rows = outbox_rows(kind, registration, dedupe, payload, phone, email, now(), subject)
    for args in rows:
        await OutboxMessage.raw(OUTBOX_INSERT, *args)


# Queuing the same message twice (same dedupe_key) is a no-op.
OUTBOX_INSERT = (
    "INSERT INTO outbox_message (kind, channel, recipient, subject_type, subject_id, payload,"
    " dedupe_key, status, attempts, next_attempt_at, last_error, created_at)"
    " VALUES ({}, {}, {}, {}, {}, {}, {}, 'pending', 0, {}, '', {})"
    " ON CONFLICT (dedupe_key) DO NOTHING"
)


def outbox_rows(
    kind: str,
    registration: dict | None,
    dedupe: str,
    payload: dict[str, Any],
    phone: str | None,
    email: str | None,
    moment,
    subject: tuple[str, int] | None = None,
) -> list[tuple]:
    """The arguments of OUTBOX_INSERT for each channel the message goes to."""
    phone = phone if phone is not None else (registration or {}).get("phone")
    email = email if email is not None else (registration or {}).get("email")
    if subject is None:
        subject = ("registration", registration["id"]) if registration else ("", None)
    text = _json(payload)
    rows = []
    for channel, recipient in (("sms", phone), ("email", email)):
        if recipient:
            key = f"{kind}:{channel}:{dedupe}"[:120]
            rows.append((kind, channel, recipient, *subject, text, key, moment, moment))
    return rows


def _json(payload: dict[str, Any]) -> str:
    import json

    return json.dumps(payload, ensure_ascii=False, default=str)
