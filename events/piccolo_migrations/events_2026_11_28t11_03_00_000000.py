"""One goal per year and metric; a covering index for the statistics' grouped queries."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-28T11:03:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Unique goal (year, metric); registration (event, status, party_size, checked_in_at)"


def raw_table() -> type[Table]:
    class Raw(Table):
        pass

    return Raw


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)

    async def create_indexes():
        Raw = raw_table()
        await Raw.raw("CREATE UNIQUE INDEX goal_year_metric ON goal (year, metric)")
        # Sums of people and check-ins per event read this index alone, not the table.
        await Raw.raw(
            "CREATE INDEX registration_stats"
            " ON registration (event, status, party_size, checked_in_at)"
        )

    async def drop_indexes():
        Raw = raw_table()
        for name in ("goal_year_metric", "registration_stats"):
            await Raw.raw(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
