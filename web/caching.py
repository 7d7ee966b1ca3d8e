"""A short-lived cache of public responses, per worker, built once per expiry.

The catalogue, event pages and the public event list are the same for every anonymous
visitor; rendering them once per TTL instead of once per request is what lets a single worker
serve a rush. Writes made by this worker clear the cache at once; other workers' caches expire
within TTL seconds, so a seat count seen on a public page is at most that old (a registration
itself is always checked against the database).

Only one request rebuilds an expired entry (single flight); while it does, the others are
served the previous body (stale-while-revalidate) or, when there is none, wait for the build.
Without that, every request in flight at the moment of expiry rebuilds the same page.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

TTL_SECONDS = 2.0
MAX_ENTRIES = 512


@dataclass(frozen=True)
class CachedPage:
    body: bytes
    gzipped: bytes
    etag: str
    expires: float

    @property
    def fresh(self) -> bool:
        return self.expires >= time.monotonic()


_pages: dict[tuple, CachedPage] = {}
_building: dict[tuple, asyncio.Future] = {}
_generation = 0


def _make(body: bytes) -> CachedPage:
    return CachedPage(
        body=body,
        gzipped=gzip.compress(body, compresslevel=6),
        etag='W/"' + hashlib.blake2b(body, digest_size=8).hexdigest() + '"',
        expires=time.monotonic() + TTL_SECONDS,
    )


async def cached(key: tuple, build: Callable[[], Awaitable[bytes]]) -> CachedPage:
    """The cached page for `key`, calling `build` at most once at a time per key."""
    page = _pages.get(key)
    if page is not None and page.fresh:
        return page
    pending = _building.get(key)
    if pending is not None:
        return page if page is not None else await asyncio.shield(pending)
    future: asyncio.Future = asyncio.get_running_loop().create_future()
    _building[key] = future
    generation = _generation
    try:
        page = _make(await build())
    except BaseException as error:
        future.set_exception(error)
        future.exception()  # retrieved: waiters re-raise it, nobody logs it as lost
        raise
    finally:
        _building.pop(key, None)
    if generation == _generation:  # not invalidated while it was being built
        if len(_pages) >= MAX_ENTRIES:
            _pages.clear()
        _pages[key] = page
    future.set_result(page)
    return page


def invalidate_public_pages() -> None:
    global _generation
    _generation += 1
    _pages.clear()


def respond(request, page: CachedPage, media_type: str):
    """A response for a cached page: 304 on a matching ETag, gzip when the client takes it."""
    from litestar import Response

    headers = {"ETag": page.etag, "Vary": "Accept-Encoding, Cookie", "Cache-Control": "no-cache"}
    if request.headers.get("if-none-match") == page.etag:
        return Response(b"", status_code=304, headers=headers, media_type=media_type)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(page.gzipped, media_type=media_type, headers=headers)
    return Response(page.body, media_type=media_type, headers=headers)
