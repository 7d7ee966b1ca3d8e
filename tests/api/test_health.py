"""/healthz: 200 once the database answers, 503 otherwise."""

import httpx

from events.core import db as dbmod
from events.core.engines import engine_from_url
from web.app import create_app


async def test_healthz_ok(client):
    response = await client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_healthz_is_503_when_the_database_does_not_answer(db):
    working = dbmod.current_engine()
    dbmod.use_engine(engine_from_url("postgresql://postgres@127.0.0.1:1/nowhere"))
    try:
        transport = httpx.ASGITransport(app=create_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.get("/healthz")
    finally:
        dbmod.use_engine(working)
    assert response.status_code == 503
    assert response.json()["status"] != "ok"
