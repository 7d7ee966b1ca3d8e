"""The in-memory rate-limit storage: same answers as `limits`' own, without its timer thread."""

from __future__ import annotations

import threading
import time

from limits import parse
from limits.strategies import MovingWindowRateLimiter

from web.ratelimit import LazyExpiryStorage


def _timer_threads() -> int:
    return sum(isinstance(thread, threading.Timer) for thread in threading.enumerate())


def test_hits_start_no_timer_thread():
    before = _timer_threads()
    limiter = MovingWindowRateLimiter(LazyExpiryStorage())
    limit = parse("1000/minute")
    for number in range(200):
        assert limiter.hit(limit, "phone", str(number))
    assert _timer_threads() == before


def test_windows_refuse_then_allow_again(monkeypatch):
    clock = [1_000_000.0]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    storage = LazyExpiryStorage()
    limiter = MovingWindowRateLimiter(storage)
    limit = parse("3/minute")
    assert all(limiter.hit(limit, "ip", "1.2.3.4") for _ in range(3))
    assert not limiter.hit(limit, "ip", "1.2.3.4")
    assert not limiter.test(limit, "ip", "1.2.3.4")
    assert limiter.test(limit, "ip", "5.6.7.8")  # another key is not affected
    clock[0] += 61
    assert limiter.test(limit, "ip", "1.2.3.4")
    assert limiter.hit(limit, "ip", "1.2.3.4")


def test_expired_keys_are_swept(monkeypatch):
    clock = [2_000_000.0]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    storage = LazyExpiryStorage()
    limiter = MovingWindowRateLimiter(storage)
    limit = parse("5/second")
    for number in range(100):
        limiter.hit(limit, "phone", str(number))
    assert len(storage.events) == 100
    clock[0] += 5
    limiter.hit(limit, "phone", "new")  # the next hit after a second sweeps
    assert len(storage.events) == 1
    assert limiter.test(limit, "phone", "0")
