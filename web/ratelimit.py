"""Rate limits with the `limits` library (moving windows, in the worker's memory).

With several workers each keeps its own window, so the effective limit is at most
workers × the figure here; still enough to stop password guessing.
"""

from __future__ import annotations

from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from events.errors import RateLimited
from events.i18n import gettext as _

_limiter = MovingWindowRateLimiter(MemoryStorage())

LOGIN_PER_IP = parse("20/5 minutes")
LOGIN_PER_USER = parse("10/15 minutes")


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


def reset() -> None:
    """Forget every window (tests)."""
    _limiter.storage.reset()
