"""Staff accounts: users, password hashing (Argon2), bearer tokens and browser sessions.

Tokens and session ids are random, shown once, and stored only as SHA-256 hashes.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from events.accounts import audit
from events.core.db import write_transaction
from events.core.errors import Invalid, NotFound, UserExists
from events.core.i18n import N_
from events.core.i18n import gettext as _
from events.core.timeutil import now
from events.core.validation import CONTROL_CHARS
from events.tables import ApiToken, StaffSession, StaffUser

ROLES: dict[str, str] = {
    "admin": N_("管理员"),
    "organizer": N_("活动组织者"),
    "staff": N_("现场工作人员"),
    "judge": N_("评委"),
}
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{2,64}$")
MIN_PASSWORD = 8
SESSION_LIFETIME = timedelta(days=7)

_hasher = PasswordHasher()
# Verified against when the user does not exist, so that timing does not reveal usernames.
_DUMMY_HASH = _hasher.hash("canal-events-dummy-password")

USER_COLUMNS = (
    StaffUser.id,
    StaffUser.username,
    StaffUser.display_name,
    StaffUser.role,
    StaffUser.active,
    StaffUser.created_at,
    StaffUser.last_login_at,
)


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


async def hash_password(password: str) -> str:
    return await anyio.to_thread.run_sync(_hasher.hash, password)


async def _verify(password_hash: str, password: str) -> bool:
    def check() -> bool:
        try:
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    return await anyio.to_thread.run_sync(check)


MAX_DISPLAY_NAME = 100


def validate_user_fields(
    username: str | None,
    role: str | None,
    password: str | None,
    display_name: str | None = None,
) -> None:
    fields: dict[str, str] = {}
    if username is not None and not USERNAME_RE.match(username):
        fields["username"] = _("用户名需为 2–64 位字母、数字或 _.-")
    if role is not None and role not in ROLES:
        fields["role"] = _("角色必须是 admin、organizer、staff 或 judge 之一")
    if password is not None and len(password) < MIN_PASSWORD:
        fields["password"] = _("密码至少 {n} 位").format(n=MIN_PASSWORD)
    if password is not None and len(password) > 256:
        fields["password"] = _("密码过长")
    if display_name is not None:
        if any(char in CONTROL_CHARS or char in "\n\r\t" for char in display_name):
            fields["display_name"] = _("包含无效字符")
        elif len(display_name.strip()) > MAX_DISPLAY_NAME:
            fields["display_name"] = _("不能超过 {n} 个字").format(n=MAX_DISPLAY_NAME)
    if fields:
        raise Invalid(next(iter(fields.values())), fields)


async def create_user(
    username: str,
    role: str,
    password: str,
    display_name: str = "",
    actor: dict | None = None,
) -> dict:
    username = username.strip()
    validate_user_fields(username, role, password, display_name)
    password_hash = await hash_password(password)
    async with write_transaction():
        if await StaffUser.exists().where(StaffUser.username == username):
            raise UserExists(_("用户 {name} 已存在").format(name=username))
        rows = await StaffUser.insert(
            StaffUser(
                username=username,
                role=role,
                password_hash=password_hash,
                display_name=display_name.strip(),
            )
        ).returning(*USER_COLUMNS)
        user = rows[0]
        await audit.record(
            actor, "user.create", "user", user["id"], after={"username": username, "role": role}
        )
    return user


async def update_user(
    user_id: int,
    actor: dict | None,
    role: str | None = None,
    active: bool | None = None,
    display_name: str | None = None,
    password: str | None = None,
) -> dict:
    validate_user_fields(None, role, password, display_name)
    values: dict = {}
    if role is not None:
        values[StaffUser.role] = role
    if active is not None:
        values[StaffUser.active] = active
    if display_name is not None:
        values[StaffUser.display_name] = display_name.strip()
    if password:
        values[StaffUser.password_hash] = await hash_password(password)
    async with write_transaction():
        before = await get_user(user_id)
        if actor and actor["id"] == user_id and (active is False or role not in (None, "admin")):
            raise Invalid(
                _("不能停用自己或取消自己的管理员角色"), {"role": _("不能修改自己的角色")}
            )
        if values:
            await StaffUser.update(values).where(StaffUser.id == user_id)
        if active is False or password:
            # A disabled account or a new password ends every session and token.
            await StaffSession.delete().where(StaffSession.user == user_id)
            await ApiToken.update({ApiToken.revoked_at: now()}).where(
                (ApiToken.user == user_id) & ApiToken.revoked_at.is_null()
            )
        after = await get_user(user_id)
        b, a = audit.changed(before, after)
        if password:
            a["password"] = "changed"  # noqa: S105 (a marker, not a password)
        await audit.record(actor, "user.update", "user", user_id, before=b, after=a)
    return after


async def get_user(user_id: int) -> dict:
    user = await StaffUser.select(*USER_COLUMNS).where(StaffUser.id == user_id).first()
    if user is None:
        raise NotFound(_("没有这个用户"))
    return user


async def list_users() -> list[dict]:
    return await StaffUser.select(*USER_COLUMNS).order_by(StaffUser.username)


async def authenticate(username: str, password: str) -> dict | None:
    row = (
        await StaffUser.select(*USER_COLUMNS, StaffUser.password_hash)
        .where(StaffUser.username == username)
        .first()
    )
    if row is None:
        await _verify(_DUMMY_HASH, password)
        return None
    if not await _verify(row.pop("password_hash"), password) or not row["active"]:
        return None
    await StaffUser.update({StaffUser.last_login_at: now()}).where(StaffUser.id == row["id"])
    return row


async def issue_token(user: dict, label: str = "api") -> str:
    raw = secrets.token_urlsafe(32)
    await ApiToken.insert(ApiToken(user=user["id"], token_hash=_digest(raw), label=label[:100]))
    return raw


# Every authenticated request asks one of these two; Piccolo's joined select spends ~1 ms
# building its SQL each time, so they are written out once.
_SQL_USER_BY_API_KEY = (
    "SELECT u.id, u.username, u.display_name, u.role FROM api_token t"
    ' JOIN staff_user u ON u.id = t."user"'
    " WHERE t.token_hash = {} AND t.revoked_at IS NULL AND u.active = {}"
)
_SQL_USER_BY_SESSION = (
    "SELECT u.id, u.username, u.display_name, u.role FROM staff_session s"
    ' JOIN staff_user u ON u.id = s."user"'
    " WHERE s.token_hash = {} AND s.expires_at > {} AND u.active = {}"
)


async def user_for_token(raw: str) -> dict | None:
    if not raw or len(raw) > 200:
        return None
    rows = await ApiToken.raw(_SQL_USER_BY_API_KEY, _digest(raw), True)
    return rows[0] if rows else None


async def revoke_token(raw: str) -> bool:
    rows = (
        await ApiToken.update({ApiToken.revoked_at: now()})
        .where((ApiToken.token_hash == _digest(raw)) & ApiToken.revoked_at.is_null())
        .returning(ApiToken.id)
    )
    return bool(rows)


async def tokens_of(user_id: int) -> list[dict]:
    return (
        await ApiToken.select(ApiToken.id, ApiToken.label, ApiToken.created_at, ApiToken.revoked_at)
        .where(ApiToken.user == user_id)
        .order_by(ApiToken.id, ascending=False)
    )


async def revoke_token_by_id(token_id: int, actor: dict) -> None:
    async with write_transaction():
        await ApiToken.update({ApiToken.revoked_at: now()}).where(
            (ApiToken.id == token_id) & ApiToken.revoked_at.is_null()
        )
        await audit.record(actor, "token.revoke", "token", token_id)


async def start_session(user: dict) -> str:
    raw = secrets.token_urlsafe(32)
    await StaffSession.insert(
        StaffSession(user=user["id"], token_hash=_digest(raw), expires_at=now() + SESSION_LIFETIME)
    )
    return raw


async def user_for_session(raw: str) -> dict | None:
    if not raw or len(raw) > 200:
        return None
    rows = await StaffSession.raw(_SQL_USER_BY_SESSION, _digest(raw), now(), True)
    return rows[0] if rows else None


async def end_session(raw: str) -> None:
    await StaffSession.delete().where(StaffSession.token_hash == _digest(raw))
