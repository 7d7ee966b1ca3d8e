"""Entry point for the `piccolo` command line (migrations); the app uses events.piccolo_conf."""

from events.piccolo_conf import APP_REGISTRY, DB

__all__ = ["APP_REGISTRY", "DB"]
