"""The SQL that takes seats: one conditional UPDATE of the event row (both engines), and on
PostgreSQL the whole registration in one statement. See docs/registration.md."""

from __future__ import annotations

import re

# Registration is open: published, and now inside the window (two `now` placeholders).
OPEN = (
    "status = 'published'"
    " AND (registration_opens_at IS NULL OR registration_opens_at <= {})"
    " AND COALESCE(registration_closes_at, ends_at) > {}"
)


# One UPDATE decides and takes: the seats if the party fits, else a place in line (if the
# event has a waitlist). SET expressions read the row as it was, on both engines.
_FITS = "confirmed + {n} <= capacity"
CLAIM = (
    "UPDATE event SET"
    " last_registration_status = CASE WHEN " + _FITS + " THEN 'confirmed' ELSE 'waitlisted' END,"
    " confirmed = confirmed + CASE WHEN " + _FITS + " THEN {n} ELSE 0 END,"
    " waitlisted = waitlisted + CASE WHEN " + _FITS + " THEN 0 ELSE {n} END,"
    " waiting = waiting + CASE WHEN " + _FITS + " THEN 0 ELSE 1 END,"
    " registration_seq = registration_seq + 1"
    " WHERE id = {id} AND (" + _FITS + " OR waitlist) AND " + OPEN.format("{now}", "{now}") + ""
    " RETURNING registration_seq AS seq, last_registration_status AS status, waiting"
)

# A walk-in (代报名) at the door: seats only, never the waitlist, until the event ends,
# whatever the registration window.
DOOR_CLAIM = (
    "UPDATE event SET confirmed = confirmed + {n}, registration_seq = registration_seq + 1,"
    " last_registration_status = 'confirmed'"
    " WHERE id = {id} AND status = 'published' AND " + _FITS + " AND ends_at > {now}"
    " RETURNING registration_seq AS seq, last_registration_status AS status, waiting"
)


def numbered(sql: str, **values) -> tuple[str, list]:
    """Piccolo's `{}` placeholders are positional: repeat each value where its name appears."""
    args: list = []

    def place(match: re.Match) -> str:
        args.append(values[match.group(1)])
        return "{}"

    return re.sub(r"\{(\w+)\}", place, sql), args


# SQLite: the registration row, inserted after the claim in the same IMMEDIATE transaction.
INSERT_REGISTRATION = (
    "INSERT INTO registration (event, name, phone, email, company, party_size, adults,"
    " children, answers, status, seq, ticket_token, source, created_at, confirmed_at,"
    " cancelled_by)"
    " VALUES ({id}, {name}, {phone}, {email}, {company}, {n}, {adults}, {children}, {answers},"
    " {status}, {seq}, {token}, {source}, {now}, {confirmed_at}, '') RETURNING *"
)


def one_statement(claim: str) -> str:
    """PostgreSQL: `claim`, the registration and its messages (the rows `messages.enqueue`
    would write, same dedupe keys) in one statement, so that the event row's lock is held for
    one statement's execution, not for several round trips."""
    return (
        "WITH claim AS (" + claim + "),"
        " created AS ("
        "  INSERT INTO registration (event, name, phone, email, company, party_size, adults,"
        "   children, answers, status, seq, ticket_token, source, created_at, confirmed_at,"
        "   cancelled_by)"
        "  SELECT {id}, {name}, {phone}, {email}, {company}, {n}, {adults}, {children},"
        "   CAST({answers} AS json), claim.status, claim.seq, {token}, {source}, {now},"
        "   CASE WHEN claim.status = 'confirmed' THEN CAST({now} AS timestamptz) END, ''"
        "  FROM claim RETURNING *),"
        " queued AS ("
        "  INSERT INTO outbox_message (kind, channel, recipient, subject_type, subject_id,"
        "   payload, dedupe_key, status, attempts, next_attempt_at, last_error, created_at)"
        "  SELECT created.status, channel.name, channel.recipient, 'registration', created.id,"
        "   CAST(CAST({payload} AS jsonb) || jsonb_build_object('waitlist_position',"
        "    CASE WHEN created.status = 'waitlisted' THEN claim.waiting END) AS json),"
        "   created.status || ':' || channel.name || ':' || created.id || ':' || created.seq,"
        "   'pending', 0, {now}, '', {now}"
        "  FROM created CROSS JOIN claim"
        "  CROSS JOIN (VALUES ('sms', {phone}), ('email', {email})) AS channel (name, recipient)"
        "  WHERE channel.recipient <> '')"
        " SELECT created.*, CASE WHEN created.status = 'waitlisted' THEN claim.waiting END"
        "  AS waitlist_position FROM created CROSS JOIN claim"
    )


ONE_STATEMENT = one_statement(CLAIM)
DOOR_ONE_STATEMENT = one_statement(DOOR_CLAIM)
