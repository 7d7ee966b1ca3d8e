"""Request body limits (web/bodies.py): 1 MB on every route, JSON or form, streamed or not; a
route may allow more for itself. The routes allowing more are test-only, registered on the
project's app (`create_app`) here: the app's own layers (errors, CSRF) apply to them."""

from __future__ import annotations

import pytest
from litestar import Request, post

from web.bodies import MAX_BODY, MB


@post("/api/v1/test-only/default", status_code=200)
async def json_default(request: Request) -> dict:
    return {"size": len(await request.body())}


@post("/api/v1/test-only/large", status_code=200, request_max_body_size=5 * MB)
async def json_large(request: Request) -> dict:
    return {"size": len(await request.body())}


@post("/test-only/photo", status_code=200, request_max_body_size=5 * MB)
async def page_photo(request: Request) -> dict:
    form = await request.form()
    return {"size": len(await form["photo"].read())}


@pytest.fixture
async def app(app):
    for handler in (json_default, json_large, page_photo):
        app.register(handler)
    return app


def _json(size: int) -> bytes:
    """A JSON body of exactly `size` bytes."""
    return b'{"x": "' + b"a" * (size - 9) + b'"}'


JSON = {"Content-Type": "application/json"}


def _too_large_json(response) -> None:
    assert response.status_code == 413, response.text
    assert set(response.json()) == {"code", "detail"}
    assert response.json()["code"] == "too_large"


def test_the_default_is_one_megabyte():
    assert MAX_BODY == 1024 * 1024


async def test_a_default_route_takes_one_megabyte_and_not_a_byte_more(client):
    response = await client.post("/api/v1/test-only/default", content=_json(MB), headers=JSON)
    assert response.status_code == 200 and response.json() == {"size": MB}
    over = await client.post("/api/v1/test-only/default", content=_json(MB + 1), headers=JSON)
    _too_large_json(over)


async def test_two_megabytes_to_a_default_route_is_413_json(client, token_for):
    response = await client.post("/api/v1/test-only/default", content=_json(2 * MB), headers=JSON)
    _too_large_json(response)
    organizer = await token_for("organizer")  # a production route: the same default
    real = await client.post("/api/v1/events", content=_json(2 * MB), headers={**JSON, **organizer})
    _too_large_json(real)


async def test_a_route_allowing_five_megabytes_takes_two_but_not_six(client):
    taken = await client.post("/api/v1/test-only/large", content=_json(2 * MB), headers=JSON)
    assert taken.status_code == 200 and taken.json() == {"size": 2 * MB}
    _too_large_json(
        await client.post("/api/v1/test-only/large", content=_json(6 * MB), headers=JSON)
    )


async def test_the_limit_counts_bytes_received_without_a_content_length(client):
    async def chunks(total: int):
        for _ in range(total // (256 * 1024)):
            yield b" " * (256 * 1024)

    response = await client.post("/api/v1/test-only/large", content=chunks(6 * MB), headers=JSON)
    _too_large_json(response)
    taken = await client.post("/api/v1/test-only/large", content=chunks(2 * MB), headers=JSON)
    assert taken.status_code == 200 and taken.json() == {"size": 2 * MB}


async def _csrf(client) -> str:
    await client.get("/login")
    return client.cookies["csrftoken"]


async def test_a_multipart_form_to_a_page_is_limited_the_same_way(client):
    token = await _csrf(client)
    form = {"_csrf_token": token, "username": "someone", "password": "password-123"}
    response = await client.post(
        "/login", data=form, files={"photo": ("p.jpg", b"a" * (2 * MB), "image/jpeg")}
    )
    assert response.status_code == 413
    assert "text/html" in response.headers["content-type"]
    assert "提交的内容过大" in response.text  # the error page, not a JSON body


async def test_a_page_route_allowing_five_megabytes_takes_a_two_megabyte_upload(client):
    token = await _csrf(client)
    for size, status in ((2 * MB, 200), (6 * MB, 413)):
        response = await client.post(
            "/test-only/photo",
            data={"_csrf_token": token},
            files={"photo": ("p.jpg", b"a" * size, "image/jpeg")},
        )
        assert response.status_code == status, (size, response.text[:200])
        if status == 200:
            assert response.json() == {"size": size}
        else:
            assert "提交的内容过大" in response.text
