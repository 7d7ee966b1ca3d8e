"""Rate limits with the `limits` library (moving windows, in the worker's memory).

With several workers each keeps its own window, so the effective limit is at most
workers × the figure here; still enough to stop password guessing.
"""

from __future__ import annotations

import os

from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from events.errors import RateLimited
from events.i18n import gettext as _

_limiter = MovingWindowRateLimiter(MemoryStorage())

LOGIN_PER_IP = parse("20/5 minutes")
LOGIN_PER_USER = parse("10/15 minutes")
# Many phones share a carrier's NAT address, so the per-address limit is generous; the
# per-phone limit is what stops one person filling an event. Both can be set for load tests.
REGISTRATION_PER_IP = parse(os.environ.get("EVENTS_REGISTRATION_LIMIT_PER_IP", "120/minute"))
REGISTRATION_PER_PHONE = parse(os.environ.get("EVENTS_REGISTRATION_LIMIT_PER_PHONE", "10/hour"))


def check(limit, *keys: str) -> None:
    if not _limiter.test(limit, *keys):
        raise RateLimited(_("尝试次数过多，请稍后再试"), retry_after=int(limit.get_expiry()))


def hit(limit, *keys: str) -> None:
    _limiter.hit(limit, *keys)


def check_login(ip: str, username: str) -> None:
    check(LOGIN_PER_IP, "login-ip", ip)
    check(LOGIN_PER_USER, "login-user", username.lower())


def failed_login(ip: str, username: str) -> None:
    hit(LOGIN_PER_IP, "login-ip", ip)
    hit(LOGIN_PER_USER, "login-user", username.lower())


def check_registration(ip: str, phone: str) -> None:
    """Every attempt counts against the address; only registrations made count per phone."""
    check(REGISTRATION_PER_IP, "register-ip", ip)
    check(REGISTRATION_PER_PHONE, "register-phone", phone.strip()[-11:])
    hit(REGISTRATION_PER_IP, "register-ip", ip)


def registered(phone: str) -> None:
    hit(REGISTRATION_PER_PHONE, "register-phone", phone)


def reset() -> None:
    """Forget every window (tests)."""
    _limiter.storage.reset()
