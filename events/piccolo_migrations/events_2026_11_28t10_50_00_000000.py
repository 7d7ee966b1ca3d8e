"""One scan per nonce: a device's retry of a scan finds the first answer (both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-28T10:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Partial unique index on checkin_scan.nonce"


def raw_table() -> type[Table]:
    class Raw(Table):
        pass

    return Raw


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)

    async def create_index():
        await raw_table().raw(
            "CREATE UNIQUE INDEX checkin_scan_nonce ON checkin_scan (nonce) WHERE nonce IS NOT NULL"
        )

    async def drop_index():
        await raw_table().raw("DROP INDEX IF EXISTS checkin_scan_nonce")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
