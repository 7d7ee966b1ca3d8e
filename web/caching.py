"""A short-lived cache of public pages, per worker.

The catalogue and event pages are the same for every anonymous visitor; rendering them once per
TTL instead of once per request is what lets a single worker serve a rush. Writes made by this
worker clear the cache at once; other workers' caches expire within TTL seconds, so a seat
count seen on a public page is at most that old (the registration itself is always exact).
"""

from __future__ import annotations

import gzip
import hashlib
import time
from dataclasses import dataclass

TTL_SECONDS = 2.0
MAX_ENTRIES = 512


@dataclass(frozen=True)
class CachedPage:
    body: bytes
    gzipped: bytes
    etag: str
    expires: float


_pages: dict[tuple, CachedPage] = {}


def get(key: tuple) -> CachedPage | None:
    page = _pages.get(key)
    if page is None or page.expires < time.monotonic():
        return None
    return page


def put(key: tuple, body: bytes) -> CachedPage:
    if len(_pages) >= MAX_ENTRIES:
        _pages.clear()
    page = CachedPage(
        body=body,
        gzipped=gzip.compress(body, compresslevel=6),
        etag='W/"' + hashlib.blake2b(body, digest_size=8).hexdigest() + '"',
        expires=time.monotonic() + TTL_SECONDS,
    )
    _pages[key] = page
    return page


def invalidate_public_pages() -> None:
    _pages.clear()
