"""Stored files (contest photos) served from the storage interface, by their key.

Keys carry a random part (`entries/<event>/<random>/image.jpg`), so a URL is known only to whom
the app showed it; a key is never reused (a replaced photo gets a new one), so a response may
be cached for long, but privately: these are children's drawings.
"""

from __future__ import annotations

from litestar import Request, Response, get
from litestar.params import FromPath

from events.contests.storage import StoredFileMissing, storage
from events.core.errors import NotFound
from events.core.i18n import gettext as _
from web.requests import base_url

PREFIX = "/media"
TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


def media_url(request: Request | None, key: str | None, absolute: bool = True) -> str | None:
    if not key:
        return None
    path = f"{PREFIX}/{key}"
    return f"{base_url(request)}{path}" if absolute and request is not None else path


@get(f"{PREFIX}/{{key:path}}", operation_id="getMedia", include_in_schema=False)
async def serve_media(key: FromPath[str]) -> Response[bytes]:
    key = key.lstrip("/")
    kind = TYPES.get(key.rsplit(".", 1)[-1].lower()) if "." in key else None
    if not kind or not key.startswith("entries/"):
        raise NotFound(_("没有这个文件"))
    try:
        data = await storage().get(key)
    except (StoredFileMissing, ValueError):
        raise NotFound(_("没有这个文件")) from None
    return Response(
        data,
        media_type=kind,
        headers={
            "Cache-Control": "private, max-age=31536000, immutable",
            "X-Content-Type-Options": "nosniff",
        },
    )
