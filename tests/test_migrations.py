"""Migrations apply from an empty database and from the previous migration, on both engines."""

import secrets
from datetime import UTC, datetime, timedelta

import pytest
from piccolo.apps.migrations.commands.forwards import run_forwards

from events.core import db as dbmod
from events.core.engines import engine_from_url
from events.tables import Event, Registration
from tests.conftest import PG_ADMIN_DSN, REQUIRE_PG, _pg_admin

FIRST = "2026-11-28T07:39:58:249637"


@pytest.fixture
async def scratch_url(db_engine, tmp_path):
    """A brand-new empty database of the engine under test; the session engine is restored."""
    working = dbmod.current_engine()
    admin = None
    if db_engine.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'scratch.sqlite3'}"
    else:
        try:
            admin = await _pg_admin()
        except Exception as error:
            (pytest.fail if REQUIRE_PG else pytest.skip)(f"PostgreSQL: {error}")
        name = f"events_mig_{secrets.token_hex(4)}"
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = PG_ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}"
    engine = engine_from_url(url)
    dbmod.use_engine(engine)
    try:
        yield url
    finally:
        dbmod.use_engine(working)
        if admin is not None:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()


async def test_upgrade_from_the_first_migration_keeps_events(scratch_url):
    await run_forwards(app_name="events", migration_id=FIRST)
    start = datetime.now(UTC) + timedelta(days=3)
    await Event.raw(
        "INSERT INTO event (kind, series, title, description, venue, address, street,"
        " organizer_unit, starts_at, ends_at, capacity, waitlist, max_party_size, status,"
        " confirmed, waitlisted, created_at, updated_at)"
        " VALUES ('lecture', '', '旧活动', '', '礼堂', '', '', '', {}, {}, 50, {}, 1,"
        " 'published', 0, 0, {}, {})",
        start,
        start + timedelta(hours=2),
        True,
        start,
        start,
    )
    await dbmod.migrate()
    event = await Event.select().first()
    assert event["title"] == "旧活动" and event["registration_seq"] == 0
    assert event["family"] is False
    assert await Registration.count() == 0
    await dbmod.migrate()  # nothing left to run: a no-op


async def test_migrate_from_empty(scratch_url):
    await dbmod.migrate()
    assert await Event.count() == 0


BEFORE_SUBJECT = "2026-11-28T12:02:00:000000"


async def test_outbox_rows_keep_their_registration_as_subject(scratch_url):
    """The step from `registration` to (subject_type, subject_id) keeps every queued message."""
    from events.tables import OutboxMessage

    await run_forwards(app_name="events", migration_id=BEFORE_SUBJECT)
    start = datetime.now(UTC) + timedelta(days=3)
    await Event.raw(
        "INSERT INTO event (kind, series, title, description, venue, address, street,"
        " organizer_unit, starts_at, ends_at, capacity, waitlist, max_party_size, status,"
        " confirmed, waitlisted, created_at, updated_at)"
        " VALUES ('lecture', '', '讲座', '', '礼堂', '', '', '', {}, {}, 50, {}, 1,"
        " 'published', 1, 0, {}, {})",
        start,
        start + timedelta(hours=2),
        True,
        start,
        start,
    )
    event_id = (await Event.select(Event.id).first())["id"]
    rows = await Registration.raw(
        "INSERT INTO registration (event, name, phone, email, company, party_size, adults,"
        " children, answers, status, seq, ticket_token, source, created_at, cancelled_by)"
        " VALUES ({}, '王', '13900000001', '', '', 1, 1, 0, {}, 'confirmed', 1, 'tok-abcdefghij',"
        " 'web', {}, '') RETURNING id",
        event_id,
        "{}",
        start,
    )
    registration_id = rows[0]["id"]
    for key, subject in (("confirmed:sms:1:1", registration_id), ("code:sms:x", None)):
        await Event.raw(
            "INSERT INTO outbox_message (kind, channel, recipient, registration, payload,"
            " dedupe_key, status, attempts, next_attempt_at, last_error, created_at)"
            " VALUES ('confirmed', 'sms', '13900000001', {}, {}, {}, 'pending', 0, {}, '', {})",
            subject,
            "{}",
            key,
            start,
            start,
        )
    await dbmod.migrate()
    messages = await OutboxMessage.select().order_by(OutboxMessage.id)
    assert [(m["dedupe_key"], m["subject_type"], m["subject_id"]) for m in messages] == [
        ("confirmed:sms:1:1", "registration", registration_id),
        ("code:sms:x", "", None),
    ]
    assert all(m["status"] == "pending" and m["recipient"] for m in messages)
    assert "registration" not in messages[0]
