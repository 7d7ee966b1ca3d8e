"""Piccolo tables of the events app.

Seat counters (`confirmed`, `waitlisted`) live on the event row so that the catalogue reads one
row per event and the registration workflow can take seats with one conditional UPDATE.
"""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    Boolean,
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
    created_by = ForeignKey(
        references=StaffUser, on_delete=OnDelete.set_null, null=True, default=None
    )
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
