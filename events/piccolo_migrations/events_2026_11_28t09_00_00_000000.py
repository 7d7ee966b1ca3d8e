from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-28T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Event counters for one-statement registration: waiting, last_registration_status"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)
    common = {
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }
    manager.add_column(
        table_class_name="Event",
        tablename="event",
        column_name="waiting",
        db_column_name="waiting",
        column_class_name="Integer",
        column_class=Integer,
        params={"default": 0, **common},
        schema=None,
    )
    manager.add_column(
        table_class_name="Event",
        tablename="event",
        column_name="last_registration_status",
        db_column_name="last_registration_status",
        column_class_name="Varchar",
        column_class=Varchar,
        params={"length": 16, "default": "", **common},
        schema=None,
    )
    return manager
