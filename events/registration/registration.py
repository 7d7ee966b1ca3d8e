"""Register, cancel and promote from the waitlist: seats are never oversold.

Mechanism (see docs/registration.md): every change to an event's registrations starts with a
single conditional UPDATE of the event row, which takes the seats (or a waitlist number) and,
on PostgreSQL, holds that row's lock until commit; on SQLite the whole workflow runs in an
IMMEDIATE transaction. So changes to one event are serialised by the database, and the
counters on the event row, the registrations and the outbox message commit together or not
at all. The partial unique index `registration_active_phone` refuses a second active
registration for the same phone, whatever the concurrency.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import Any

from events.accounts import audit
from events.core.db import is_sqlite, write_transaction
from events.core.errors import Conflict, DomainError, NotFound
from events.core.i18n import gettext as _
from events.core.timeutil import now
from events.core.validation import MAX_ID
from events.notify import messages
from events.registration import form as registration_form
from events.registration import sql
from events.registration.form import clean_registration
from events.tables import Event, Registration


class AlreadyRegistered(Conflict):
    code = "already_registered"


class EventFull(Conflict):
    code = "full"


class RegistrationClosed(Conflict):
    code = "closed"


class CheckedIn(Conflict):
    code = "checked_in"


class EventEnded(Conflict):
    code = "ended"


def self_cancel_refusal(registration: dict, event: dict, moment=None) -> DomainError | None:
    """Why a resident may not cancel this registration themselves (None: they may).

    A ticket already used at the door keeps its seat (cancelling it would hand a seat in use
    to the waitlist), and after the event there is nothing left to cancel. Organizers cancel
    through `registration.admin`, with a reason in the audit log, and are not bound by this.
    """
    if registration["checked_in_at"] is not None:
        return CheckedIn(_("已签到的报名不能取消"))
    if event["ends_at"] <= (moment or now()):
        return EventEnded(_("活动已结束，不能取消报名"))
    return None


def self_cancel_allowed(registration: dict, event: dict, moment=None) -> bool:
    """Whether the ticket page offers 取消报名 (the rule `cancel` enforces)."""
    return (
        registration["status"] != "cancelled"
        and self_cancel_refusal(registration, event, moment) is None
    )


async def _refusal(event_id: int, moment, at_door: bool) -> DomainError:
    """Why a registration was refused, read after the claim missed."""
    row = await Event.select().where(Event.id == event_id).first()
    if row is None or row["status"] == "draft":
        return NotFound(_("没有找到这个活动"))
    if at_door:
        if row["status"] != "published" or row["ends_at"] <= moment:
            return RegistrationClosed(_("活动已结束或已取消，不能现场报名"))
        return EventFull(
            _("现场名额不足：剩余 {n} 个座位").format(n=row["capacity"] - row["confirmed"])
        )
    opens = row["registration_opens_at"]
    closes = row["registration_closes_at"] or row["ends_at"]
    if row["status"] != "published" or (opens and moment < opens) or moment >= closes:
        return RegistrationClosed(_("此活动当前不接受报名"))
    return EventFull(_("名额已满，且此活动不设候补"))


async def waitlist_position(event_id: int, seq: int) -> int:
    rows = await Registration.raw(
        "SELECT COUNT(*) AS n FROM registration"
        " WHERE event = {} AND status = 'waitlisted' AND seq <= {}",
        event_id,
        seq,
    )
    return rows[0]["n"]


async def register(
    event_id: int, raw: dict[str, Any], source: str = "web", actor=None, at_door: bool = False
) -> dict:
    """A new registration: confirmed when its party fits the seats left, else waitlisted.

    `at_door`: door staff registering a walk-in (代报名): seats only, never the waitlist,
    allowed until the event ends whatever the registration window, phone optional.
    """
    if not 1 <= event_id <= MAX_ID:
        raise NotFound(_("没有找到这个活动"))
    event = await registration_form.event_for_form(event_id)
    if event is None or event["status"] == "draft":
        raise NotFound(_("没有找到这个活动"))
    values = await clean_registration(event, raw, phone_optional=at_door)
    # A second active registration for the phone is refused by the partial unique index.
    values.update(ticket_token=secrets.token_urlsafe(24), source=source)
    moment = now()
    try:
        registration = await _create(event, values, moment, actor, at_door)
    except Exception as error:
        if _is_unique_violation(error):
            raise AlreadyRegistered(_("这个手机号已报名本活动")) from error
        raise
    if registration is None:
        if await Registration.exists().where(
            (Registration.event == event_id)
            & (Registration.phone == values["phone"])
            & (Registration.status != "cancelled")
        ):
            raise AlreadyRegistered(_("这个手机号已报名本活动"))
        raise await _refusal(event_id, moment, at_door)
    return registration


async def _create(event: dict, values: dict, moment, actor, at_door: bool) -> dict | None:
    """The one registration workflow: claim seats or a place in line, insert the
    registration, queue its messages, audit it when staff made it; all or nothing.

    Only the SQL differs by engine. SQLite runs the steps in one IMMEDIATE transaction;
    PostgreSQL runs them as one statement, which is its own transaction when there is nothing
    to audit (the event row's lock is then held for that statement alone).
    """
    if is_sqlite():
        async with write_transaction():
            registration = await _create_sqlite(event, values, moment, at_door)
            await _audit_if_staff(actor, registration)
        return registration
    if actor is None:
        return await _create_postgres(event, values, moment, at_door)
    async with write_transaction():
        registration = await _create_postgres(event, values, moment, at_door)
        await _audit_if_staff(actor, registration)
    return registration


async def _create_sqlite(event: dict, values: dict, moment, at_door: bool) -> dict | None:
    claim_sql = sql.DOOR_CLAIM if at_door else sql.CLAIM
    query, args = sql.numbered(claim_sql, n=values["party_size"], id=event["id"], now=moment)
    claims = await Event.raw(query, *args)
    if not claims:
        return None
    claim = claims[0]
    status = claim["status"]
    query, args = sql.numbered(
        sql.INSERT_REGISTRATION,
        **_columns(event, values, moment),
        status=status,
        seq=claim["seq"],
        confirmed_at=moment if status == "confirmed" else None,
    )
    registration = _decoded((await Registration.raw(query, *args))[0])
    position = claim["waiting"] if status == "waitlisted" else None
    await messages.enqueue(
        status,
        registration,
        dedupe=f"{registration['id']}:{registration['seq']}",
        payload=_payload(event, registration, position),
    )
    return {**registration, "waitlist_position": position}


# Admission control: a rush of hundreds of connections makes PostgreSQL queue them all on the
# event row's lock (and its lock manager), and it gets slower per registration as the queue
# grows. Letting a few statements per worker in at a time keeps the queue short; each slot is
# held for one statement, never across other work. See docs/performance.md.
_registering: dict[int, asyncio.Semaphore] = {}


def _admission() -> asyncio.Semaphore:
    loop_id = id(asyncio.get_running_loop())
    if loop_id not in _registering:
        _registering[loop_id] = asyncio.Semaphore(2)
    return _registering[loop_id]


async def _create_postgres(event: dict, values: dict, moment, at_door: bool) -> dict | None:
    payload = _payload(event, {**values, "id": None}, None)
    query, args = sql.numbered(
        sql.DOOR_ONE_STATEMENT if at_door else sql.ONE_STATEMENT,
        **_columns(event, values, moment),
        payload=json.dumps(payload, ensure_ascii=False, default=str),
    )
    async with _admission():
        rows = await Registration.raw(query, *args)
    return _decoded(rows[0]) if rows else None


def _columns(event: dict, values: dict, moment) -> dict:
    """The named values of the registration's INSERT."""
    return {
        "id": event["id"],
        "n": values["party_size"],
        "now": moment,
        "name": values["name"],
        "phone": values["phone"],
        "email": values["email"],
        "company": values["company"],
        "adults": values["adults"],
        "children": values["children"],
        "answers": json.dumps(values["answers"], ensure_ascii=False),
        "token": values["ticket_token"],
        "source": values["source"],
    }


def _decoded(registration: dict) -> dict:
    if isinstance(registration["answers"], str):
        registration["answers"] = json.loads(registration["answers"])
    return registration


async def _audit_if_staff(actor, registration: dict | None) -> None:
    """Organizer and door-staff registrations are audited; residents' are not, row by row."""
    if actor is None or registration is None:
        return
    await audit.record(
        actor,
        "registration.create",
        "registration",
        registration["id"],
        after={
            "event": registration["event"],
            "status": registration["status"],
            "source": registration["source"],
        },
    )


def _is_unique_violation(error: Exception) -> bool:
    text = f"{type(error).__name__} {error}".lower()
    return "unique" in text and ("registration_active_phone" in text or "registration" in text)


def _payload(event: dict, registration: dict, position: int | None = None) -> dict:
    return {
        "event_id": event["id"],
        "event_title": event["title"],
        "starts_at": event["starts_at"],
        "venue": event["venue"],
        "address": event["address"],
        "name": registration["name"],
        "party_size": registration["party_size"],
        "ticket_token": registration["ticket_token"],
        "waitlist_position": position,
    }


async def _lock_event(event_id: int) -> dict:
    """Take the event row's lock (PostgreSQL) and read it: the first step of every change."""
    rows = await Event.raw(
        "UPDATE event SET registration_seq = registration_seq WHERE id = {} RETURNING *",
        event_id,
    )
    if not rows:
        raise NotFound(_("没有找到这个活动"))
    return rows[0]


async def promote(event: dict) -> list[dict]:
    """Give freed seats to the waitlist in order; a party that does not fit keeps its place.

    Call inside a write transaction after `_lock_event`.
    """
    left = event["capacity"] - event["confirmed"]
    promoted: list[dict] = []
    skip_below = 0
    while left > 0:
        rows = await Registration.raw(
            "SELECT * FROM registration WHERE event = {} AND status = 'waitlisted'"
            " AND party_size <= {} AND seq > {} ORDER BY seq LIMIT 50",
            event["id"],
            left,
            skip_below,
        )
        if not rows:
            break
        for row in rows:
            skip_below = row["seq"]
            if row["party_size"] <= left:
                left -= row["party_size"]
                promoted.append(row)
            if left == 0:
                break
    if not promoted:
        return []
    moment = now()
    seats = sum(row["party_size"] for row in promoted)
    ids = [row["id"] for row in promoted]
    await Registration.update(
        {Registration.status: "confirmed", Registration.confirmed_at: moment}
    ).where(Registration.id.is_in(ids))
    came = sum(row["party_size"] for row in promoted if row["checked_in_at"])
    await Event.raw(
        "UPDATE event SET confirmed = confirmed + {}, waitlisted = waitlisted - {},"
        " waiting = waiting - {}, checked_in = checked_in + {} WHERE id = {}",
        seats,
        seats,
        len(promoted),
        came,
        event["id"],
    )
    event["confirmed"] += seats
    event["waitlisted"] -= seats
    event["waiting"] -= len(promoted)
    for row in promoted:
        row["status"] = "confirmed"
        await messages.enqueue(
            "promoted",
            row,
            dedupe=f"{event['id']}:{row['id']}:{row['seq']}",
            payload=_payload(event, row),
        )
        await audit.record(
            None, "registration.promote", "registration", row["id"], after={"status": "confirmed"}
        )
    return promoted


async def recount_events(ids: list[int]) -> None:
    """Each event's counters from its registrations: seats, people waiting, registrations
    waiting, the sequence, people checked in. For data loaded in bulk (the demo, fixtures);
    the workflows keep the counters in step themselves."""
    if not ids:
        return
    per = "SELECT {} FROM registration WHERE registration.event = event.id"
    people = "COALESCE(SUM(party_size), 0)"
    await Event.raw(
        "UPDATE event SET"
        f" confirmed = ({per.format(people)} AND status = 'confirmed'),"
        f" waitlisted = ({per.format(people)} AND status = 'waitlisted'),"
        f" waiting = ({per.format('COUNT(*)')} AND status = 'waitlisted'),"
        f" registration_seq = ({per.format('COALESCE(MAX(seq), 0)')}),"
        f" checked_in = ({per.format(people)} AND status = 'confirmed'"
        " AND checked_in_at IS NOT NULL)"
        f" WHERE id IN ({', '.join(str(int(i)) for i in ids)})"
    )


async def _release(event: dict, registration: dict) -> None:
    """Give back what a confirmed or waitlisted registration held on the event row."""
    if registration["status"] == "confirmed":
        came = registration["party_size"] if registration.get("checked_in_at") else 0
        await Event.raw(
            "UPDATE event SET confirmed = confirmed - {}, checked_in = checked_in - {}"
            " WHERE id = {}",
            registration["party_size"],
            came,
            event["id"],
        )
        event["confirmed"] -= registration["party_size"]
    elif registration["status"] == "waitlisted":
        # `waiting` counts registrations in line: a newcomer's position is read from it.
        await Event.raw(
            "UPDATE event SET waitlisted = waitlisted - {}, waiting = waiting - 1 WHERE id = {}",
            registration["party_size"],
            event["id"],
        )
        event["waitlisted"] -= registration["party_size"]
        event["waiting"] -= 1


async def cancel(ticket_token: str, by: str = "self", actor=None, reason: str = "") -> dict:
    """Cancel a registration; freed seats go to the waitlist at once. Idempotent.

    `by="self"` (the resident, from the ticket) is refused as `self_cancel_refusal` says; the
    check runs after the event row is locked, so a check-in cannot slip in between.
    """
    found = await by_token(ticket_token)
    async with write_transaction():
        event = await _lock_event(found["event"])
        registration = await Registration.select().where(Registration.id == found["id"]).first()
        if registration["status"] == "cancelled":
            return registration
        moment = now()
        if by == "self" and (refusal := self_cancel_refusal(registration, event, moment)):
            raise refusal
        await Registration.update(
            {
                Registration.status: "cancelled",
                Registration.cancelled_at: moment,
                Registration.cancelled_by: by,
            }
        ).where(Registration.id == registration["id"])
        await _release(event, registration)
        before = registration["status"]
        registration.update(status="cancelled", cancelled_at=moment, cancelled_by=by)
        await messages.enqueue(
            "cancelled",
            registration,
            # The event is part of the key: a moved registration may reuse a seq number.
            dedupe=f"{registration['event']}:{registration['id']}:{registration['seq']}",
            payload={
                **_payload(event, registration),
                **({"reason": reason} if reason else {}),
                **({"by": by} if by != "self" else {}),
            },
        )
        await audit.record(
            actor,
            "registration.cancel",
            "registration",
            registration["id"],
            before={"status": before},
            after={"status": "cancelled", "by": by, **({"reason": reason} if reason else {})},
        )
        if before == "confirmed":
            await promote(event)
    return registration


async def by_token(ticket_token: str) -> dict:
    if not isinstance(ticket_token, str) or not 10 <= len(ticket_token) <= 64:
        raise NotFound(_("没有找到这张票"))
    row = await Registration.select().where(Registration.ticket_token == ticket_token).first()
    if row is None:
        raise NotFound(_("没有找到这张票"))
    return row
