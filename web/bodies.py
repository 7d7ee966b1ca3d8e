"""How big a request body may be.

Every route takes at most `MAX_BODY` (1 MB): every JSON body and form the app expects is far
smaller. `create_app` sets it app-wide (`request_max_body_size`); a route that must take more
(a photo upload) says so itself with Litestar's own option, on its handler, its controller or
its router — the closest layer wins:

    @post("/events/{event_id:int}/photo", request_max_body_size=8 * MB)
    async def upload_photo(request: Request, event_id: int) -> ...:
        form = await request.form()  # multipart: read (and limited) as it streams in

The limit counts the bytes received, whatever the body's type (JSON, url-encoded or multipart
form, chunked without a Content-Length); a declared Content-Length over it is refused before
anything is read. Past it, the request fails with 413: the contract's JSON
`{"code": "too_large", "detail": …}` under /api/, the error page elsewhere (web/errors.py).
Raise the limit only on the routes that need it, never app-wide.
"""

from __future__ import annotations

from litestar.datastructures import UploadFile

MB = 1024 * 1024
MAX_BODY = 1 * MB  # the app-wide default


# A contest photo may be 20 MiB (the contract); the form's other fields and the multipart framing
# fit in 1 MiB more. The routes that take a photo (API and pages) allow this much.
PHOTO_BODY = 21 * MB


async def read_upload(upload: object, limit: int) -> bytes | None:
    """The bytes of an uploaded file (at most `limit` + 1, so a domain check can tell "too
    large"), or None when the field holds no file."""
    if not isinstance(upload, UploadFile):
        return None
    data = await upload.read(limit + 1)
    await upload.close()
    return data or None
