"""Piccolo configuration: the engine comes from EVENTS_DATABASE_URL (see events.core.engines)."""

from piccolo.conf.apps import AppRegistry

from events.core.engines import engine_from_url
from events.core.settings import get_settings

DB = engine_from_url(get_settings().database_url)

APP_REGISTRY = AppRegistry(apps=["events.piccolo_app", "events.contests.piccolo_app"])
