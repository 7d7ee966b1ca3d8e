"""POST /api/v1/auth/login, bearer tokens, logout, guards."""

from tests.conftest import make_user
from web import ratelimit


async def test_login_returns_token_and_role(client):
    await make_user("organizer", "olga")
    response = await client.post(
        "/api/v1/auth/login", json={"username": "olga", "password": "password-123"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["role"] == "organizer" and len(body["token"]) >= 32


async def test_bad_password_is_401_bad_credentials(client):
    ratelimit.reset()
    await make_user("organizer", "olga")
    response = await client.post(
        "/api/v1/auth/login", json={"username": "olga", "password": "wrong-pass"}
    )
    assert response.status_code == 401
    assert response.json()["code"] == "bad_credentials"
    unknown = await client.post(
        "/api/v1/auth/login", json={"username": "nobody", "password": "wrong-pass"}
    )
    assert unknown.status_code == 401 and unknown.json()["code"] == "bad_credentials"


async def test_disabled_user_cannot_log_in(client):
    from events.accounts import accounts

    user = await make_user("staff", "sam")
    await accounts.update_user(user["id"], actor=None, active=False)
    response = await client.post(
        "/api/v1/auth/login", json={"username": "sam", "password": "password-123"}
    )
    assert response.status_code == 401


async def test_login_attempts_are_rate_limited(client):
    ratelimit.reset()
    await make_user("organizer", "olga")
    codes = []
    for _ in range(12):
        response = await client.post(
            "/api/v1/auth/login", json={"username": "olga", "password": "guess-guess"}
        )
        codes.append(response.status_code)
    assert codes[:10] == [401] * 10
    assert codes[10] == 429
    assert response.json()["code"] == "rate_limited"
    assert "retry-after" in response.headers
    ratelimit.reset()


async def test_login_body_errors_are_422(client):
    for body in ({}, {"username": "x"}, {"username": 1, "password": 2}, []):
        response = await client.post("/api/v1/auth/login", json=body)
        assert response.status_code == 422, body
        assert response.json()["code"] == "invalid"


async def test_forged_and_revoked_tokens_are_401(client, token_for):
    headers = await token_for("organizer")
    me = await client.get("/api/v1/auth/me", headers=headers)
    assert me.status_code == 200 and me.json()["role"] == "organizer"
    forged = {"Authorization": "Bearer " + "A" * 43}
    assert (await client.get("/api/v1/auth/me", headers=forged)).status_code == 401
    assert (await client.post("/api/v1/auth/logout", headers=headers)).status_code == 200
    after = await client.get("/api/v1/auth/me", headers=headers)
    assert after.status_code == 401
    assert after.json()["code"] == "unauthorized"


async def test_tokens_are_stored_hashed(client, token_for):
    from events.tables import ApiToken

    headers = await token_for("admin")
    raw = headers["Authorization"].split()[1]
    stored = await ApiToken.select(ApiToken.token_hash)
    assert stored and all(row["token_hash"] != raw for row in stored)


async def test_user_add_refuses_an_existing_username(db):
    import pytest

    # The CLI runs its own event loop; use the service here and the CLI in test_cli.
    from events.accounts import accounts
    from events.cli import main
    from events.core.errors import UserExists

    await accounts.create_user("dup", "staff", "password-123")
    with pytest.raises(UserExists):
        await accounts.create_user("dup", "judge", "password-123")
    assert main  # imported without side effects
