"""Entry point for the `piccolo` command line (migrations); see events.core.piccolo_conf."""

from events.core.piccolo_conf import APP_REGISTRY, DB

__all__ = ["APP_REGISTRY", "DB"]
