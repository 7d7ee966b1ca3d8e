"""Canal Events domain: Piccolo tables, migrations and one service module per workflow."""

import os

# Piccolo finds its engine through this module; set it before any table is imported so that
# `events` works from any working directory, not only the project's root.
os.environ.setdefault("PICCOLO_CONF", "events.core.piccolo_conf")
