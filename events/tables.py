"""Piccolo tables of the events app.

Seat counters (`confirmed`, `waitlisted`) live on the event row so that the catalogue reads one
row per event and the registration workflow can take seats with one conditional UPDATE.
"""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    BigInt,
    Boolean,
    Bytea,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class StaffUser(Table, tablename="staff_user"):
    username = Varchar(length=64, unique=True, index=True)
    display_name = Varchar(length=100, default="")
    role = Varchar(length=16, index=True)  # admin, organizer, staff, judge
    password_hash = Varchar(length=255)
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_login_at = Timestamptz(null=True, default=None)


class ApiToken(Table, tablename="api_token"):
    user = ForeignKey(references=StaffUser, on_delete=OnDelete.cascade, index=True)
    token_hash = Varchar(length=64, unique=True, index=True)
    label = Varchar(length=100, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class StaffSession(Table, tablename="staff_session"):
    user = ForeignKey(references=StaffUser, on_delete=OnDelete.cascade, index=True)
    token_hash = Varchar(length=64, unique=True, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()


class AuditLog(Table, tablename="audit_log"):
    actor = ForeignKey(
        references=StaffUser, on_delete=OnDelete.set_null, null=True, default=None, index=True
    )
    actor_name = Varchar(length=64, default="")
    action = Varchar(length=64, index=True)
    object_type = Varchar(length=32)
    object_id = Integer(null=True, default=None, index=True)
    before = JSON(null=True, default=None)
    after = JSON(null=True, default=None)
    at = Timestamptz(default=TimestamptzNow(), index=True)


class Event(Table, tablename="event"):
    kind = Varchar(length=20, index=True)
    series = Varchar(length=60, default="", index=True)
    title = Varchar(length=200)
    description = Text(default="")
    venue = Varchar(length=200)
    address = Varchar(length=300, default="")
    street = Varchar(length=40, default="", index=True)
    organizer_unit = Varchar(length=100, default="")
    starts_at = Timestamptz(index=True)
    ends_at = Timestamptz(index=True)
    capacity = Integer()
    waitlist = Boolean(default=True)
    max_party_size = Integer(default=1)
    registration_opens_at = Timestamptz(null=True, default=None)
    registration_closes_at = Timestamptz(null=True, default=None)
    status = Varchar(length=16, default="published", index=True)
    confirmed = Integer(default=0)
    waitlisted = Integer(default=0)
    # People (party sizes) of confirmed registrations checked in: the statistics read the
    # year's attendance from 2,000 event rows instead of a million registrations.
    checked_in = Integer(default=0)
    # Registrations take 1, 2, 3... in order: the FIFO key of the waitlist.
    registration_seq = BigInt(default=0)
    # Registrations (not people) waiting: a newcomer's waitlist position, read with the seats.
    waiting = Integer(default=0)
    # Outcome of the latest registration, set by the same UPDATE that takes the seats, so that
    # one statement can both decide and report it (PostgreSQL's RETURNING sees new values only).
    last_registration_status = Varchar(length=16, default="")
    # Parent-child events count adults and children separately (both take seats).
    family = Boolean(default=False)
    # Enterprise events (快墅转) ask for the company.
    ask_company = Boolean(default=False)
    created_by = ForeignKey(
        references=StaffUser, on_delete=OnDelete.set_null, null=True, default=None
    )
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class EventKey(Table, tablename="event_key"):
    """One Ed25519 key pair per event; the private key is encrypted with the app's secret."""

    event = ForeignKey(references=Event, on_delete=OnDelete.cascade, unique=True, index=True)
    public_key = Bytea()
    private_key_encrypted = Text()
    created_at = Timestamptz(default=TimestamptzNow())


class Question(Table, tablename="question"):
    """A custom question an organizer adds to an event's registration form."""

    event = ForeignKey(references=Event, on_delete=OnDelete.cascade, index=True)
    position = Integer(default=0)
    label = Varchar(length=200)
    kind = Varchar(length=16, default="text")  # text, single, multiple
    options = JSON(default=[])
    required = Boolean(default=False)


class Registration(Table, tablename="registration"):
    event = ForeignKey(references=Event, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=50)
    phone = Varchar(length=11, index=True, null=True, default=None)  # null once anonymised
    email = Varchar(length=200, default="")
    company = Varchar(length=100, default="")
    party_size = Integer(default=1)
    adults = Integer(default=1)
    children = Integer(default=0)
    answers = JSON(default={})
    status = Varchar(length=16, index=True)  # confirmed, waitlisted, cancelled
    seq = BigInt(index=True)  # order of arrival per event: the waitlist order
    ticket_token = Varchar(length=64, unique=True, index=True)
    source = Varchar(length=16, default="web")  # web, api, walk_in, organizer
    created_at = Timestamptz(default=TimestamptzNow())
    confirmed_at = Timestamptz(null=True, default=None)
    cancelled_at = Timestamptz(null=True, default=None)
    cancelled_by = Varchar(length=16, default="")  # self, organizer, event
    checked_in_at = Timestamptz(null=True, default=None)
    anonymised_at = Timestamptz(null=True, default=None)


class OutboxMessage(Table, tablename="outbox_message"):
    """A message written in the same transaction as the change it announces.

    The sender (`events.notify.outbox`) claims due rows atomically, so no two workers send the same
    row, and retries failures with backoff; `dedupe_key` is unique so that the same message is
    never queued twice. `events/outbox.py` states the one window where a message could be
    sent twice (a crash between the server's acceptance and marking the row sent).
    """

    kind = Varchar(length=32)  # confirmed, waitlisted, promoted, cancelled, reminder, ...
    channel = Varchar(length=16)  # sms, email
    recipient = Varchar(length=200)
    # What the message is about, as (type, id): ("registration", 12), ("contest_entry", 3), ...
    # The sender does not care; retention and the areas' pages find their messages by it.
    subject_type = Varchar(length=32, default="")
    subject_id = BigInt(null=True, default=None)
    payload = JSON(default={})
    dedupe_key = Varchar(length=120, unique=True)
    status = Varchar(length=16, default="pending", index=True)  # pending, sending, sent, failed
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(default=TimestamptzNow(), index=True)
    claimed_until = Timestamptz(null=True, default=None)
    last_error = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(null=True, default=None)


class PhoneCode(Table, tablename="phone_code"):
    """A 6-digit code sent to a phone for 我的报名; stored hashed, valid 5 minutes."""

    phone = Varchar(length=11, index=True)
    code_hash = Varchar(length=64)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    attempts = Integer(default=0)
    used_at = Timestamptz(null=True, default=None)


class ResidentSession(Table, tablename="resident_session"):
    """A device that proved it holds a phone: it may list that phone's registrations."""

    phone = Varchar(length=11, index=True)
    token_hash = Varchar(length=64, unique=True, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()


class Setting(Table, tablename="setting"):
    """Settings an admin changes at run time (e.g. the retention period)."""

    key = Varchar(length=64, unique=True)
    value = JSON(default=None, null=True)
    updated_at = Timestamptz(default=TimestamptzNow())


class CheckinScan(Table, tablename="checkin_scan"):
    """Every check-in attempt at the door, failures too: who, on which device, when, and the
    answer given. A retry with the same `nonce` gets `response` again instead of a new scan."""

    event = ForeignKey(references=Event, on_delete=OnDelete.cascade, index=True)
    registration = ForeignKey(
        references=Registration, on_delete=OnDelete.set_null, null=True, default=None, index=True
    )
    staff = ForeignKey(references=StaffUser, on_delete=OnDelete.set_null, null=True, default=None)
    device = Varchar(length=64, default="")
    nonce = Varchar(length=64, null=True, default=None)  # unique where set (raw index)
    method = Varchar(
        length=16, default="scan"
    )  # scan, code, search, button, offline, paper, walk_in
    result = Varchar(length=16, index=True)  # ok, duplicate, invalid, wrong_event, ...
    response = JSON(default={})
    scanned_at = Timestamptz(default=TimestamptzNow())  # the device's time for offline scans
    recorded_at = Timestamptz(default=TimestamptzNow(), index=True)


class Goal(Table, tablename="goal"):
    """A yearly target for one metric (`sessions.matching`, `attendance.lecture`, …)."""

    year = Integer(index=True)
    metric = Varchar(length=64)
    target = Integer(default=0)
    updated_at = Timestamptz(default=TimestamptzNow())
