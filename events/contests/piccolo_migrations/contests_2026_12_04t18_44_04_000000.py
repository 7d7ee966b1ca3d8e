"""Indexes that Piccolo's column API cannot express; valid SQL on PostgreSQL and SQLite.

Kept apart from the migration that creates the tables: a migration's raw steps run before its
table operations.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-04T18:44:04:000000"
VERSION = "1.38.0"
DESCRIPTION = "Unique entry codes per contest, one assignment per entry and judge"

INDEXES = {
    "contest_entry_code": "CREATE UNIQUE INDEX contest_entry_code ON contest_entry (contest, code)",
    "contest_entry_child": (
        "CREATE INDEX contest_entry_child ON contest_entry (contest, guardian_phone, child_name)"
    ),
    "contest_assignment_pair": (
        "CREATE UNIQUE INDEX contest_assignment_pair ON contest_assignment (entry, judge)"
    ),
    "contest_assignment_queue": (
        "CREATE INDEX contest_assignment_queue ON contest_assignment (judge, contest, active)"
    ),
}


def raw_table() -> type[Table]:
    # Made when the migration runs, so that it binds to the engine in use at that moment.
    class Raw(Table):
        pass

    return Raw


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="contests", description=DESCRIPTION)

    async def create_indexes():
        raw = raw_table()
        for statement in INDEXES.values():
            await raw.raw(statement)

    async def drop_indexes():
        raw = raw_table()
        for name in INDEXES:
            await raw.raw(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
