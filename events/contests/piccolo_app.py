"""The contests Piccolo app: its own tables and migrations, depending on the events app."""

import os

from piccolo.conf.apps import AppConfig, table_finder

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="contests",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=table_finder(modules=["events.contests.tables"], exclude_imported=True),
    migration_dependencies=["events.piccolo_app"],
    commands=[],
)
