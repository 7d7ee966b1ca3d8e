"""Rate limits with the `limits` library (moving windows, in the worker's memory).

With several workers each keeps its own window, so the effective limit is at most
workers × the figure here; still enough to stop password guessing. The registration limits
are settings (EVENTS_REGISTRATION_LIMIT_PER_IP / _PER_PHONE), read when a registration is
checked; the login limits are fixed here.
"""

from __future__ import annotations

import threading
import time
from bisect import bisect_right

from limits import RateLimitItem, parse
from limits.storage import MovingWindowSupport, Storage
from limits.strategies import MovingWindowRateLimiter

from events.core.errors import RateLimited
from events.core.i18n import gettext as _
from events.core.settings import get_settings


class MemoryWindows(Storage, MovingWindowSupport):
    """Moving windows in this process's memory, built on `limits`' public storage interface.

    `limits`' own MemoryStorage starts a thread 10 ms after (nearly) every hit, which walks
    every key; in a registration rush (thousands of phone keys) that thread and its GIL
    hand-overs cost a busy worker about a fifth of its time. Here no thread is ever started:
    a window is judged by its hits' times alone, and keys whose hits have all expired are
    forgotten by a sweep run inline, at most once a second, by the hit that comes due.

    A key belongs to one limit (`limits` puts the amount and period in it), so each key has
    one period: hits older than it are dropped as the key is touched.
    """

    STORAGE_SCHEME = None  # built directly, not registered under a storage URI
    SWEEP_EVERY = 1.0

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        # key → (period in seconds, its hits' times, oldest first)
        self._windows: dict[str, tuple[float, list[float]]] = {}
        # key → (count, when it expires): the counters of the fixed-window strategies
        self._counters: dict[str, tuple[int, float]] = {}
        self._next_sweep = 0.0

    def __len__(self) -> int:
        """How many keys are held (expired ones stay until the next sweep)."""
        return len(self._windows) + len(self._counters)

    @property
    def base_exceptions(self) -> type[Exception]:
        return ValueError

    # MovingWindowSupport: what MovingWindowRateLimiter calls.

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount > limit:
            return False
        moment = time.time()
        with self._lock:
            self._sweep_if_due(moment)
            times = self._live(key, expiry, moment)
            if len(times) + amount > limit:
                return False
            times.extend([moment] * amount)
            self._windows[key] = (expiry, times)
            return True

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        """(The oldest hit still in the window, or now; how many hits are in it.)"""
        moment = time.time()
        with self._lock:
            times = self._live(key, expiry, moment)
            return (times[0], len(times)) if times else (moment, 0)

    def _live(self, key: str, expiry: float, moment: float) -> list[float]:
        times = self._windows.get(key, (expiry, []))[1]
        del times[: bisect_right(times, moment - expiry)]
        return times

    # Storage: counters (for the fixed-window strategies), health, clearing.

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        moment = time.time()
        with self._lock:
            self._sweep_if_due(moment)
            count, expires = self._counters.get(key, (0, 0.0))
            if expires <= moment:
                count, expires = 0, moment + expiry
            self._counters[key] = (count + amount, expires)
            return count + amount

    def get(self, key: str) -> int:
        count, expires = self._counters.get(key, (0, 0.0))
        return count if expires > time.time() else 0

    def get_expiry(self, key: str) -> float:
        moment = time.time()
        expires = self._counters.get(key, (0, moment))[1]
        return max(expires, moment)

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        with self._lock:
            held = len(self)
            self._windows.clear()
            self._counters.clear()
            return held

    def clear(self, key: str) -> None:
        with self._lock:
            self._windows.pop(key, None)
            self._counters.pop(key, None)

    def _sweep_if_due(self, moment: float) -> None:
        if moment < self._next_sweep:
            return
        self._next_sweep = moment + self.SWEEP_EVERY
        for key, (expiry, times) in list(self._windows.items()):
            if not times or times[-1] <= moment - expiry:
                del self._windows[key]
        for key, (_count, expires) in list(self._counters.items()):
            if expires <= moment:
                del self._counters[key]


_limiter = MovingWindowRateLimiter(MemoryWindows())

LOGIN_PER_IP = parse("20/5 minutes")
LOGIN_PER_USER = parse("10/15 minutes")


def check(limit: RateLimitItem, *keys: str) -> None:
    if not _limiter.test(limit, *keys):
        raise RateLimited(_("尝试次数过多，请稍后再试"), retry_after=int(limit.get_expiry()))


def hit(limit: RateLimitItem, *keys: str) -> None:
    _limiter.hit(limit, *keys)


def check_login(ip: str, username: str) -> None:
    check(LOGIN_PER_IP, "login-ip", ip)
    check(LOGIN_PER_USER, "login-user", username.lower())


def failed_login(ip: str, username: str) -> None:
    hit(LOGIN_PER_IP, "login-ip", ip)
    hit(LOGIN_PER_USER, "login-user", username.lower())


def check_registration(ip: str, phone: str) -> None:
    """Every attempt counts against the address; only registrations made count per phone.

    Many phones share a carrier's NAT address, so the per-address limit is generous; the
    per-phone limit is what stops one person filling an event.
    """
    settings = get_settings()
    check(settings.registration_limit_per_ip, "register-ip", ip)
    check(settings.registration_limit_per_phone, "register-phone", phone.strip()[-11:])
    hit(settings.registration_limit_per_ip, "register-ip", ip)


def registered(phone: str) -> None:
    hit(get_settings().registration_limit_per_phone, "register-phone", phone)


def reset() -> None:
    """Forget every window (tests)."""
    _limiter.storage.reset()
