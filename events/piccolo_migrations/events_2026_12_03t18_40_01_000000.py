"""Step 2 of 2 (step 1 added subject_type and subject_id): every message
about a registration names it as its subject ("registration", id), and the registration column
goes. SQLite cannot drop a column used by a foreign key, so there the table is rebuilt (the
procedure of SQLite's ALTER TABLE documentation)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-03T18:40:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "outbox_message: registration becomes the subject; drop registration"

_COLUMNS = (
    "kind, channel, recipient, payload, dedupe_key, status, attempts, next_attempt_at,"
    " claimed_until, last_error, created_at, sent_at"
)

SQLITE_TABLE = (
    'CREATE TABLE "outbox_message_new" ("id" INTEGER PRIMARY KEY NOT NULL,'
    ' "kind" VARCHAR(32) NOT NULL DEFAULT \'\', "channel" VARCHAR(16) NOT NULL DEFAULT \'\','
    ' "recipient" VARCHAR(200) NOT NULL DEFAULT \'\','
    ' "subject_type" VARCHAR(32) NOT NULL DEFAULT \'\', "subject_id" INTEGER DEFAULT null,'
    ' "payload" JSON NOT NULL DEFAULT \'{}\','
    ' "dedupe_key" VARCHAR(120) UNIQUE NOT NULL DEFAULT \'\','
    ' "status" VARCHAR(16) NOT NULL DEFAULT \'pending\', "attempts" INTEGER NOT NULL DEFAULT 0,'
    ' "next_attempt_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,'
    ' "claimed_until" TIMESTAMPTZ DEFAULT null, "last_error" TEXT NOT NULL DEFAULT \'\','
    ' "created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,'
    ' "sent_at" TIMESTAMPTZ DEFAULT null)'
)

INDEXES = (
    'CREATE INDEX outbox_message_status ON "outbox_message" ("status")',
    'CREATE INDEX outbox_message_next_attempt_at ON "outbox_message" ("next_attempt_at")',
    "CREATE INDEX outbox_message_due ON outbox_message (status, next_attempt_at)",
)
SUBJECT_INDEX = "CREATE INDEX outbox_message_subject ON outbox_message (subject_type, subject_id)"


def raw_table() -> type[Table]:
    class Raw(Table):
        pass

    return Raw


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)
    raw = raw_table()
    sqlite = raw._meta.db.engine_type == "sqlite"

    async def backfill():
        await raw.raw(
            "UPDATE outbox_message SET subject_type = 'registration',"
            " subject_id = registration WHERE registration IS NOT NULL"
        )
        if sqlite:
            await raw.raw(SQLITE_TABLE)
            await raw.raw(
                f"INSERT INTO outbox_message_new (id, subject_type, subject_id, {_COLUMNS})"
                f" SELECT id, subject_type, subject_id, {_COLUMNS} FROM outbox_message"
            )
            await raw.raw("DROP TABLE outbox_message")
            await raw.raw("ALTER TABLE outbox_message_new RENAME TO outbox_message")
            for statement in INDEXES:
                await raw.raw(statement)
        await raw.raw(SUBJECT_INDEX)

    async def no_way_back():
        raise RuntimeError("this migration cannot be undone")

    manager.add_raw(backfill)
    manager.add_raw_backwards(no_way_back)
    if not sqlite:  # runs after the raw step; on SQLite the rebuild dropped it
        manager.drop_column(
            table_class_name="OutboxMessage",
            tablename="outbox_message",
            column_name="registration",
            db_column_name="registration",
        )
    return manager
