"""Rate limits with the `limits` library (moving windows, in the worker's memory).

With several workers each keeps its own window, so the effective limit is at most
workers × the figure here; still enough to stop password guessing.
"""

from __future__ import annotations

import os
import time

from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from events.core.errors import RateLimited
from events.core.i18n import gettext as _


class LazyExpiryStorage(MemoryStorage):
    """`limits`' MemoryStorage without its expiry timer.

    MemoryStorage starts a new thread 10 ms after (nearly) every hit, which walks every key;
    in a registration rush (thousands of phone keys) that thread and its GIL hand-overs cost a
    busy worker about a fifth of its time. Windows are judged by their timestamps whatever the
    sweep does, so sweeping expired keys once a second, inline, changes no answer (and,
    unlike the timer's sweep, it also forgets keys left with no entries).
    """

    SWEEP_EVERY = 1.0

    def __init__(self) -> None:
        super().__init__()
        self.timer.cancel()
        self.timer.join()
        self._next_sweep = 0.0

    def _MemoryStorage__schedule_expiry(self) -> None:  # every hit calls it; see above
        moment = time.time()
        if moment >= self._next_sweep:
            self._next_sweep = moment + self.SWEEP_EVERY
            self.sweep(moment)

    def sweep(self, moment: float) -> None:
        for key, entries in list(self.events.items()):
            live = [entry for entry in entries if entry.expiry > moment]
            if live:
                self.events[key] = live
            else:
                self.events.pop(key, None)
                self.locks.pop(key, None)
        for key, expiry in list(self.expirations.items()):
            if expiry <= moment:
                self.storage.pop(key, None)
                self.expirations.pop(key, None)
                self.locks.pop(key, None)


_limiter = MovingWindowRateLimiter(LazyExpiryStorage())

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
