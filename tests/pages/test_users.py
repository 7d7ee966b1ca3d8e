"""Admin user management pages: list, create, edit, disable, reset password, revoke tokens."""

import re

from events.accounts import accounts
from events.tables import ApiToken, AuditLog, StaffUser
from tests.conftest import make_user
from tests.pages.test_manage import login, post_form


async def audit_actions(object_type, object_id):
    rows = (
        await AuditLog.select(AuditLog.action)
        .where((AuditLog.object_type == object_type) & (AuditLog.object_id == object_id))
        .order_by(AuditLog.id)
    )
    return [row["action"] for row in rows]


async def test_organizer_and_staff_get_403_on_user_pages(client, db):
    other = await make_user("judge")
    for role in ("organizer", "staff"):
        await login(client, role)
        assert (await client.get("/manage/users")).status_code == 403
        assert (await client.get(f"/manage/users/{other['id']}")).status_code == 403
        response = await post_form(
            client, "/manage/users", {"username": "x-user", "role": "admin", "password": "a" * 10}
        )
        assert response.status_code == 403
    assert not await StaffUser.exists().where(StaffUser.username == "x-user")


async def test_admin_sees_the_user_list_with_role_labels(client, db):
    await make_user("judge", "judy")
    admin = await login(client, "admin")
    page = await client.get("/manage/users")
    assert page.status_code == 200
    assert "judy" in page.text and "评委" in page.text and admin["username"] in page.text
    assert "从未登录" in page.text  # judy never signed in
    assert 'action="/manage/users"' in page.text and 'name="_csrf_token"' in page.text


async def test_admin_creates_a_user(client, db):
    await login(client, "admin")
    response = await post_form(
        client,
        "/manage/users",
        {
            "username": "wang.li",
            "display_name": "王丽",
            "role": "staff",
            "password": "door-pass-1",
        },
    )
    assert response.status_code == 303
    user = await StaffUser.select().where(StaffUser.username == "wang.li").first()
    assert user["role"] == "staff" and user["display_name"] == "王丽" and user["active"]
    assert response.headers["location"] == f"/manage/users/{user['id']}?done=user_created"
    page = await client.get(response.headers["location"])
    assert "账号已创建" in page.text and "wang.li" in page.text
    assert await accounts.authenticate("wang.li", "door-pass-1")
    assert await audit_actions("user", user["id"]) == ["user.create"]


async def test_invalid_new_user_shows_errors_next_to_fields(client, db):
    await make_user("organizer", "taken")
    await login(client, "admin")
    bad = await post_form(
        client,
        "/manage/users",
        {"username": "有 空格", "display_name": "某某", "role": "staff", "password": "short"},
    )
    assert bad.status_code == 422
    assert re.search(r'id="f-username-error">用户名需为', bad.text)
    assert re.search(r'id="f-password-error">密码至少 8 位<', bad.text)
    assert re.search(r'id="f-username"[^>]*aria-invalid="true"', bad.text)
    assert 'value="某某"' in bad.text and 'value="short"' not in bad.text
    duplicate = await post_form(
        client,
        "/manage/users",
        {"username": "taken", "role": "staff", "password": "long-enough-1"},
    )
    assert duplicate.status_code == 409 and "用户 taken 已存在" in duplicate.text


async def test_admin_disables_a_user_and_their_session_ends(client, db):
    await login(client, "staff", "door-one")
    staff_cookie = client.cookies["ce_session"]
    client.cookies.clear()
    await login(client, "admin")
    user = await StaffUser.select().where(StaffUser.username == "door-one").first()
    page = await client.get(f"/manage/users/{user['id']}")
    assert re.search(r'id="f-active"[^>]*checked', page.text)
    response = await post_form(
        client, f"/manage/users/{user['id']}", {"role": "staff", "display_name": "门口一号"}
    )
    assert response.status_code == 303
    after = await accounts.get_user(user["id"])
    assert after["active"] is False and after["display_name"] == "门口一号"
    assert await audit_actions("user", user["id"]) == ["user.create", "user.update"]
    assert await accounts.user_for_session(staff_cookie) is None
    users = await client.get("/manage/users")
    assert "已停用" in users.text


async def test_admin_resets_a_password_and_changes_a_role(client, db):
    user = await make_user("staff", "zhou")
    await login(client, "admin")
    response = await post_form(
        client,
        f"/manage/users/{user['id']}",
        {"role": "organizer", "active": "true", "password": "brand-new-pass"},
    )
    assert response.status_code == 303
    assert (await accounts.get_user(user["id"]))["role"] == "organizer"
    assert await accounts.authenticate("zhou", "brand-new-pass")
    short = await post_form(
        client, f"/manage/users/{user['id']}", {"role": "organizer", "password": "x"}
    )
    assert short.status_code == 422 and 'id="f-password-error"' in short.text


async def test_admin_cannot_disable_themselves(client, db):
    admin = await login(client, "admin")
    response = await post_form(client, f"/manage/users/{admin['id']}", {"role": "admin"})
    assert response.status_code == 422 and "不能修改自己的角色" in response.text
    assert (await accounts.get_user(admin["id"]))["active"] is True


async def test_admin_revokes_a_token(client, db):
    user = await make_user("organizer", "api-user")
    raw = await accounts.issue_token(user, label="scanner-phone")
    token = await ApiToken.select().where(ApiToken.user == user["id"]).first()
    await login(client, "admin")
    page = await client.get(f"/manage/users/{user['id']}")
    assert "scanner-phone" in page.text
    revoke_url = f"/manage/users/{user['id']}/tokens/{token['id']}/revoke"
    assert f'action="{revoke_url}"' in page.text
    assert (
        await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {raw}"})
    ).status_code == 200
    response = await post_form(client, revoke_url)
    assert response.status_code == 303
    assert await accounts.user_for_token(raw) is None
    me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {raw}"})
    assert me.status_code == 401
    assert await audit_actions("token", token["id"]) == ["token.revoke"]
    page = await client.get(f"/manage/users/{user['id']}")
    assert "已注销" in page.text and f'action="{revoke_url}"' not in page.text
    other = await make_user("staff")
    wrong_owner = await post_form(
        client, f"/manage/users/{other['id']}/tokens/{token['id']}/revoke"
    )
    assert wrong_owner.status_code == 404


async def test_users_page_post_without_csrf_is_refused(client, db):
    await login(client, "admin")
    response = await client.post(
        "/manage/users",
        data={"username": "no-csrf", "role": "staff", "password": "long-enough-1"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert not await StaffUser.exists().where(StaffUser.username == "no-csrf")
