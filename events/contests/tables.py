"""Piccolo tables of the contests app (a drawing contest is an event of kind `contest`).

A contest's configuration is one row per event; an entry is a child's drawing submitted by a
guardian; an assignment gives an entry to one judge and holds that judge's scores.
"""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    Boolean,
    DoublePrecision,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from events.tables import Event, StaffUser


class Contest(Table, tablename="contest"):
    event = ForeignKey(references=Event, on_delete=OnDelete.cascade, unique=True, index=True)
    submissions_open_at = Timestamptz()
    submissions_close_at = Timestamptz()
    groups = JSON(default="[]")  # [{"code", "name", "min_grade", "max_grade"}]
    criteria = JSON(default="[]")  # [{"code", "name", "weight"}]
    judges_per_entry = Integer(default=3)
    selection_share = DoublePrecision(default=0.2)
    quotas = JSON(null=True, default=None)  # {"<group code>": k} overrides the share per group
    awards = JSON(default="[]")  # [{"name", "count"}]; the selected left over get the last tier
    max_entries_per_child = Integer(default=1)
    gallery = Boolean(default=True)
    issuer = Varchar(length=100, default="")
    retention_days = Integer(default=365)
    entry_seq = Integer(default=0)  # the last entry number handed out (entry codes)
    computed_at = Timestamptz(null=True, default=None)
    published_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Entry(Table, tablename="contest_entry"):
    contest = ForeignKey(references=Contest, on_delete=OnDelete.cascade, index=True)
    event = ForeignKey(references=Event, on_delete=OnDelete.cascade, index=True)
    code = Varchar(length=16)
    token = Varchar(length=64, unique=True, index=True)
    group_code = Varchar(length=16, index=True)
    grade = Integer()
    child_name = Varchar(length=50)
    school = Varchar(length=100)
    guardian_name = Varchar(length=50)
    guardian_phone = Varchar(length=20, index=True)
    title = Varchar(length=100)
    statement = Text(default="")
    consent_version = Varchar(length=32)
    consent_at = Timestamptz(default=TimestamptzNow())
    gallery_consent = Boolean(default=False)
    status = Varchar(length=16, default="submitted", index=True)
    reject_reason = Text(default="")
    image_key = Varchar(length=200, default="")
    screen_key = Varchar(length=200, default="")
    thumbnail_key = Varchar(length=200, default="")
    image_width = Integer(default=0)
    image_height = Integer(default=0)
    phash = Varchar(length=64, default="")
    duplicate_of = Integer(null=True, default=None)
    override = Varchar(length=8, null=True, default=None)  # "in" / "out", set by an organizer
    override_reason = Text(default="")
    score = DoublePrecision(null=True, default=None)  # frozen at publication
    raw_score = DoublePrecision(null=True, default=None)
    rank = Integer(null=True, default=None)
    award = Varchar(length=20, null=True, default=None)
    certificate_code = Varchar(length=24, null=True, default=None, unique=True)
    submitted_at = Timestamptz(default=TimestamptzNow(), index=True)
    updated_at = Timestamptz(default=TimestamptzNow())
    withdrawn_at = Timestamptz(null=True, default=None)
    erased_at = Timestamptz(null=True, default=None)  # retention: image and names removed


class Assignment(Table, tablename="contest_assignment"):
    contest = ForeignKey(references=Contest, on_delete=OnDelete.cascade, index=True)
    entry = ForeignKey(references=Entry, on_delete=OnDelete.cascade, index=True)
    judge = ForeignKey(references=StaffUser, on_delete=OnDelete.cascade, index=True)
    scores = JSON(null=True, default=None)  # {"<criterion code>": n}
    weighted = DoublePrecision(null=True, default=None)  # the weighted mean of `scores`
    scored_at = Timestamptz(null=True, default=None)
    conflict = Boolean(default=False)  # the judge declared a conflict of interest
    conflict_reason = Text(default="")
    active = Boolean(default=True)  # False once reassigned (a conflict or a new assignment)
    created_at = Timestamptz(default=TimestamptzNow())
