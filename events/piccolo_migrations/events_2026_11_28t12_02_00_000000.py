"""Fill event.checked_in from the registrations (both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-28T12:02:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Backfill event.checked_in"


def raw_table() -> type[Table]:
    class Raw(Table):
        pass

    return Raw


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)

    async def backfill():
        await raw_table().raw(
            "UPDATE event SET checked_in = (SELECT COALESCE(SUM(r.party_size), 0)"
            " FROM registration r WHERE r.event = event.id AND r.status = 'confirmed'"
            " AND r.checked_in_at IS NOT NULL)"
        )

    async def nothing():
        return None

    manager.add_raw(backfill)
    manager.add_raw_backwards(nothing)
    return manager
