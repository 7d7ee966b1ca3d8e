"""Fixtures: every test that touches data runs on SQLite and on PostgreSQL.

PostgreSQL tests make their own database and drop it afterwards; where no server answers they
skip, saying why, unless EVENTS_REQUIRE_POSTGRES=1 (set by .ci/run), where that is a failure.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("EVENTS_SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("EVENTS_DATA_DIR", str(ROOT / "var" / "test"))

from argon2 import PasswordHasher  # noqa: E402

from events.accounts import accounts  # noqa: E402
from events.core import db as dbmod  # noqa: E402
from events.core.engines import engine_from_url  # noqa: E402

# Argon2 at its production cost takes ~50 ms a hash; tests create hundreds of users.
accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

PG_ADMIN_DSN = os.environ.get(
    "EVENTS_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_PG = os.environ.get("EVENTS_REQUIRE_POSTGRES") == "1"


async def _pg_admin():
    import asyncpg

    return await asyncpg.connect(PG_ADMIN_DSN, timeout=3)


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
async def db_engine(request, tmp_path_factory):
    """A migrated, empty database of each engine, used by the whole session."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "events.sqlite3"
        url = f"sqlite:///{path}"
        engine = engine_from_url(url)
        dbmod.use_engine(engine)
        await dbmod.migrate()
        yield url
        await dbmod.close_writers()  # its thread would keep pytest from exiting
        return
    try:
        admin = await _pg_admin()
    except Exception as error:
        message = f"PostgreSQL not reachable at {PG_ADMIN_DSN}: {error}"
        if REQUIRE_PG:
            pytest.fail(message)
        pytest.skip(message)
    name = f"events_test_{secrets.token_hex(4)}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}"
    engine = engine_from_url(url)
    dbmod.use_engine(engine)
    await engine.start_connection_pool(min_size=1, max_size=10)
    try:
        await dbmod.migrate()
        yield url
    finally:
        await engine.close_connection_pool()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
async def db(db_engine):
    """An empty database (of the parametrised engine) for one test, with no cached pages."""
    from events.door import checkin, tickets
    from events.registration import form as registration_form
    from web import caching

    caching.invalidate_public_pages()
    tickets.forget_keys()  # ids repeat across engines and tests
    registration_form.forget_forms()
    checkin.forget_events()
    yield db_engine
    caching.invalidate_public_pages()
    for table in reversed(dbmod.registered_tables()):
        await table.delete(force=True)


@pytest.fixture
async def app(db):
    from web.app import create_app

    return create_app()


@pytest.fixture
async def client(app):
    """An HTTP client that runs the app in the test's own event loop.

    Litestar's AsyncTestClient runs the app through a blocking portal on another thread and
    loop, which breaks the asyncpg pool ("attached to a different loop"); httpx's ASGI
    transport keeps everything on one loop. The app's lifespan only opens the pool, which
    the `db_engine` fixture has already opened, so it is not run here.
    """
    import httpx

    from web import ratelimit

    ratelimit.reset()  # every test starts with no attempts counted against it
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as c:
        yield c
    ratelimit.reset()


async def make_user(role: str, username: str | None = None, password: str = "password-123"):
    from events.accounts import accounts

    return await accounts.create_user(username or f"{role}-{secrets.token_hex(3)}", role, password)


@pytest.fixture
async def token_for(client):
    """`await token_for("organizer")` → headers with a bearer token of a new user of that role."""

    async def make(role: str) -> dict[str, str]:
        user = await make_user(role)
        response = await client.post(
            "/api/v1/auth/login", json={"username": user["username"], "password": "password-123"}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['token']}"}

    return make


@pytest.fixture
async def make_event(client, token_for):
    """`await make_event(**change)` → a new event made through the API by an organizer;
    `make_event.headers` are that organizer's."""
    from tests.api.test_events import event_body

    organizer = await token_for("organizer")

    async def make(**change):
        response = await client.post("/api/v1/events", json=event_body(**change), headers=organizer)
        assert response.status_code == 201, response.text
        return response.json()

    make.headers = organizer
    return make
