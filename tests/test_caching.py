"""The public-page cache builds once per expiry and never stores a page made before a write."""

import asyncio

from web import caching


async def test_concurrent_misses_build_once():
    caching.invalidate_public_pages()
    builds = 0

    async def build():
        nonlocal builds
        builds += 1
        await asyncio.sleep(0.01)
        return b"page"

    pages = await asyncio.gather(*(caching.cached(("k",), build) for _ in range(50)))
    assert builds == 1
    assert {page.body for page in pages} == {b"page"}


async def test_expired_page_is_served_while_one_request_rebuilds(monkeypatch):
    caching.invalidate_public_pages()
    await caching.cached(("k",), _const(b"old"))
    monkeypatch.setattr(caching, "TTL_SECONDS", 0.0)
    monkeypatch.setitem(caching._pages, ("k",), caching._make(b"old"))  # already expired (TTL 0)
    release = asyncio.Event()

    async def slow():
        await release.wait()
        return b"new"

    rebuild = asyncio.create_task(caching.cached(("k",), slow))
    await asyncio.sleep(0)
    during = await caching.cached(("k",), _const(b"never"))
    assert during.body == b"old"
    release.set()
    assert (await rebuild).body == b"new"
    caching.invalidate_public_pages()


async def test_a_write_during_a_build_discards_the_built_page():
    caching.invalidate_public_pages()
    release = asyncio.Event()

    async def slow():
        await release.wait()
        return b"before-write"

    building = asyncio.create_task(caching.cached(("k",), slow))
    await asyncio.sleep(0)
    caching.invalidate_public_pages()
    release.set()
    await building
    assert ("k",) not in caching._pages


async def test_a_failed_build_reaches_every_waiter_and_is_not_cached():
    caching.invalidate_public_pages()

    async def broken():
        await asyncio.sleep(0.01)
        raise RuntimeError("db down")

    results = await asyncio.gather(
        *(caching.cached(("k",), broken) for _ in range(3)), return_exceptions=True
    )
    assert all(isinstance(result, RuntimeError) for result in results)
    assert ("k",) not in caching._pages


def _const(body):
    async def build():
        return body

    return build
