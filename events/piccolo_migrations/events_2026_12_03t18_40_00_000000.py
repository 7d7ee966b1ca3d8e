"""Step 1 of 2: the outbox's subject columns (type, id), so that any area can name what a
message is about (a registration, a contest entry, a meeting)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import BigInt, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-03T18:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "outbox_message: subject_type, subject_id"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)
    for name, column_class, params in (
        ("subject_type", Varchar, {"length": 32, "default": "", "null": False}),
        ("subject_id", BigInt, {"default": None, "null": True}),
    ):
        manager.add_column(
            table_class_name="OutboxMessage",
            tablename="outbox_message",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params={
                **params,
                "primary_key": False,
                "unique": False,
                "index": False,
                "index_method": IndexMethod.btree,
                "choices": None,
                "db_column_name": None,
                "secret": False,
            },
            schema=None,
        )
    return manager
