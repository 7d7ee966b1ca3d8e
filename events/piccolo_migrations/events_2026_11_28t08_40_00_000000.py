"""Indexes that Piccolo's column API cannot express; valid SQL on PostgreSQL and SQLite.

Kept apart from the migration that creates the tables: a migration's raw steps run before its
table operations.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-28T08:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Partial unique index: one active registration per phone per event; waitlist order"


def raw_table() -> type[Table]:
    # Made when the migration runs, so that it binds to the engine in use at that moment.
    class Raw(Table):
        pass

    return Raw


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)

    async def create_indexes():
        Raw = raw_table()
        # One active registration per phone per event, enforced by the database itself.
        await Raw.raw(
            "CREATE UNIQUE INDEX registration_active_phone ON registration (event, phone)"
            " WHERE status <> 'cancelled'"
        )
        # The waitlist in order, and an event's registrations by status.
        await Raw.raw(
            "CREATE INDEX registration_event_status_seq ON registration (event, status, seq)"
        )
        await Raw.raw("CREATE INDEX outbox_message_due ON outbox_message (status, next_attempt_at)")

    async def drop_indexes():
        Raw = raw_table()
        for name in (
            "registration_active_phone",
            "registration_event_status_seq",
            "outbox_message_due",
        ):
            await Raw.raw(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
