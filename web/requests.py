"""Facts about a request that the API and the pages both need: who is asking (for rate
limits) and the site's own address (for links in tickets and shares)."""

from __future__ import annotations

from litestar import Request

from events.core.settings import get_settings


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def base_url(request: Request) -> str:
    """The configured EVENTS_BASE_URL, else the address this request came to (no trailing /)."""
    return get_settings().base_url or str(request.base_url).rstrip("/")
