"""我的报名: a resident proves they hold a phone with a texted code, then sees its registrations.

A code is 6 digits, stored only as an HMAC (keyed with the app's secret), valid 5 minutes, good
for one use and at most 5 tries; a newer code replaces the older ones. The per-phone limits
(1 code a minute, 5 an hour) are counted from the stored codes, so they hold across workers and
restarts. A verified device gets a random session token (kept hashed) for 30 days.

Codes are only texted to phones that have registered at least once, but the answer to the
visitor is the same either way: nobody learns from this page whether a number registered, and
the page cannot be used to send texts to strangers.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from events.core.db import write_transaction
from events.core.errors import Invalid, RateLimited
from events.core.i18n import gettext as _
from events.core.phones import normalise
from events.core.settings import get_settings
from events.core.timeutil import now
from events.notify import messages
from events.registration.registration import waitlist_position
from events.tables import PhoneCode, Registration, ResidentSession

CODE_LIFETIME = timedelta(minutes=5)
MAX_ATTEMPTS = 5
CODE_INTERVAL = timedelta(seconds=60)
CODES_PER_HOUR = 5
SESSION_LIFETIME = timedelta(days=30)
LIST_LIMIT = 200


def _mac(purpose: str, text: str) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"{purpose}:{text}".encode(), hashlib.sha256).hexdigest()


def _code_hash(phone: str, code: str) -> str:
    return _mac("phone-code", f"{phone}:{code}")


def _session_hash(raw: str) -> str:
    return _mac("resident-session", raw)


def clean_code(raw: object) -> str:
    text = raw.strip().replace(" ", "") if isinstance(raw, str) else ""
    if len(text) != 6 or not text.isascii() or not text.isdigit():
        message = _("请填写短信里的 6 位数字验证码")
        raise Invalid(message, {"code": message})
    return text


async def send_code(raw_phone: object) -> dict:
    """Make a code for the phone and queue the text; `RateLimited` when asked too often.

    Returns `{"phone", "expires_at"}`; the code itself travels only in the outbox message.
    """
    phone = normalise(raw_phone)
    moment = now()
    recent = await PhoneCode.select(PhoneCode.created_at).where(
        (PhoneCode.phone == phone) & (PhoneCode.created_at > moment - timedelta(hours=1))
    )
    if recent:
        latest = max(row["created_at"] for row in recent)
        wait = int((latest + CODE_INTERVAL - moment).total_seconds())
        if wait > 0:
            raise RateLimited(
                _("验证码已发送，请 {n} 秒后再重新获取").format(n=wait), retry_after=wait
            )
        if len(recent) >= CODES_PER_HOUR:
            oldest = min(row["created_at"] for row in recent)
            wait = max(int((oldest + timedelta(hours=1) - moment).total_seconds()), 60)
            raise RateLimited(_("获取验证码次数过多，请 1 小时后再试"), retry_after=wait)
    code = f"{secrets.randbelow(10**6):06d}"
    known = await Registration.exists().where(Registration.phone == phone)
    async with write_transaction():
        # A new code replaces the older ones: only the latest text is the one to type.
        await PhoneCode.update({PhoneCode.used_at: moment}).where(
            (PhoneCode.phone == phone) & PhoneCode.used_at.is_null()
        )
        rows = await PhoneCode.insert(
            PhoneCode(
                phone=phone,
                code_hash=_code_hash(phone, code),
                created_at=moment,
                expires_at=moment + CODE_LIFETIME,
                attempts=0,
            )
        ).returning(PhoneCode.id)
        if known:
            await messages.enqueue(
                "code",
                None,
                dedupe=f"{phone}:{rows[0]['id']}",
                payload={"code": code, "minutes": int(CODE_LIFETIME.total_seconds() // 60)},
                phone=phone,
            )
    return {"phone": phone, "expires_at": moment + CODE_LIFETIME}


async def verify_code(raw_phone: object, raw_code: object) -> str:
    """A new resident session token for the phone, if the code is right; `Invalid` otherwise.

    Every try counts, the right one too, and the count is taken before the comparison in one
    conditional UPDATE, so parallel guesses cannot get past the limit.
    """
    phone = normalise(raw_phone)
    code = clean_code(raw_code)
    moment = now()
    latest = (
        await PhoneCode.select()
        .where((PhoneCode.phone == phone) & PhoneCode.used_at.is_null())
        .order_by(PhoneCode.id, ascending=False)
        .first()
    )
    expired = _("验证码已过期，请重新获取")
    if latest is None or latest["expires_at"] <= moment:
        raise Invalid(expired, {"code": expired})
    counted = await PhoneCode.raw(
        "UPDATE phone_code SET attempts = attempts + 1"
        " WHERE id = {} AND attempts < {} AND used_at IS NULL RETURNING attempts",
        latest["id"],
        MAX_ATTEMPTS,
    )
    if not counted:
        message = _("错误次数过多，请重新获取验证码")
        raise Invalid(message, {"code": message})
    if not hmac.compare_digest(latest["code_hash"], _code_hash(phone, code)):
        left = MAX_ATTEMPTS - counted[0]["attempts"]
        message = (
            _("验证码不正确，还可以再试 {n} 次").format(n=left)
            if left
            else _("错误次数过多，请重新获取验证码")
        )
        raise Invalid(message, {"code": message})
    used = await PhoneCode.raw(
        "UPDATE phone_code SET used_at = {} WHERE id = {} AND used_at IS NULL RETURNING id",
        moment,
        latest["id"],
    )
    if not used:
        raise Invalid(expired, {"code": expired})
    return await start_session(phone)


async def start_session(phone: str) -> str:
    raw = secrets.token_urlsafe(32)
    await ResidentSession.insert(
        ResidentSession(
            phone=phone,
            token_hash=_session_hash(raw),
            created_at=now(),
            expires_at=now() + SESSION_LIFETIME,
        )
    )
    return raw


async def phone_for_session(raw: str | None) -> str | None:
    if not raw or len(raw) > 200:
        return None
    row = (
        await ResidentSession.select(ResidentSession.phone)
        .where(
            (ResidentSession.token_hash == _session_hash(raw))
            & (ResidentSession.expires_at > now())
        )
        .first()
    )
    return row["phone"] if row else None


async def end_session(raw: str | None) -> None:
    if raw and len(raw) <= 200:
        await ResidentSession.delete().where(ResidentSession.token_hash == _session_hash(raw))


async def registrations_of(phone: str) -> list[dict]:
    """The phone's registrations (the LIST_LIMIT newest), each with its event and waitlist
    position: events still to come first, soonest first; then past ones, latest first."""
    rows = (
        await Registration.select(
            Registration.id,
            Registration.event,
            Registration.name,
            Registration.party_size,
            Registration.status,
            Registration.seq,
            Registration.ticket_token,
            Registration.created_at,
            Registration.checked_in_at,
            Registration.event.title.as_alias("title"),
            Registration.event.starts_at.as_alias("starts_at"),
            Registration.event.ends_at.as_alias("ends_at"),
            Registration.event.venue.as_alias("venue"),
            Registration.event.status.as_alias("event_status"),
        )
        .where(Registration.phone == phone)
        .order_by(Registration.created_at, ascending=False)
        .order_by(Registration.id, ascending=False)
        .limit(LIST_LIMIT)
    )
    moment = now()
    upcoming = sorted((r for r in rows if r["ends_at"] > moment), key=lambda r: r["starts_at"])
    past = sorted((r for r in rows if r["ends_at"] <= moment), key=lambda r: r["starts_at"])
    rows = upcoming + past[::-1]
    for row in rows:
        row["waitlist_position"] = (
            await waitlist_position(row["event"], row["seq"])
            if row["status"] == "waitlisted"
            else None
        )
    return rows
