"""The in-memory rate-limit storage: moving windows like `limits`' own, without a timer thread;
and the registration limits, read from the settings when a registration is checked."""

from __future__ import annotations

import threading
import time

import pytest
from limits import parse
from limits.storage import MemoryStorage, MovingWindowSupport, Storage
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

from events.core.errors import RateLimited
from tests.settings_env import set_environment
from web import ratelimit
from web.ratelimit import MemoryWindows


@pytest.fixture
def clock(monkeypatch):
    moment = [1_000_000.0]
    monkeypatch.setattr(time, "time", lambda: moment[0])
    return moment


def _timer_threads() -> int:
    return sum(isinstance(thread, threading.Timer) for thread in threading.enumerate())


def test_hits_start_no_timer_thread():
    before = _timer_threads()
    limiter = MovingWindowRateLimiter(MemoryWindows())
    limit = parse("1000/minute")
    for number in range(200):
        assert limiter.hit(limit, "phone", str(number))
    assert _timer_threads() == before


def test_the_storage_uses_only_the_public_interface_of_limits():
    assert issubclass(MemoryWindows, Storage) and issubclass(MemoryWindows, MovingWindowSupport)
    assert not issubclass(MemoryWindows, MemoryStorage)
    overridden = [name for name in vars(MemoryWindows) if name.startswith("_MemoryStorage__")]
    assert overridden == []


def test_windows_refuse_then_allow_again(clock):
    limiter = MovingWindowRateLimiter(MemoryWindows())
    limit = parse("3/minute")
    assert all(limiter.hit(limit, "ip", "1.2.3.4") for _ in range(3))
    assert not limiter.hit(limit, "ip", "1.2.3.4")
    assert not limiter.test(limit, "ip", "1.2.3.4")
    assert limiter.test(limit, "ip", "5.6.7.8")  # another key is not affected
    clock[0] += 61
    assert limiter.test(limit, "ip", "1.2.3.4")
    assert limiter.hit(limit, "ip", "1.2.3.4")


def test_the_window_moves_hit_by_hit(clock):
    """Unlike a fixed window, each hit leaves the window a full period after it was made."""
    limiter = MovingWindowRateLimiter(MemoryWindows())
    limit = parse("2/minute")
    assert limiter.hit(limit, "k")
    clock[0] += 40
    assert limiter.hit(limit, "k")
    clock[0] += 30  # 70 s after the first hit, 30 s after the second
    assert limiter.get_window_stats(limit, "k") == (clock[0] - 30 + 60, 1)
    assert limiter.hit(limit, "k")
    assert not limiter.hit(limit, "k")
    clock[0] += 31  # the second hit has left the window, the third has not
    assert limiter.hit(limit, "k") and not limiter.test(limit, "k")


def test_an_empty_key_has_a_window_starting_now(clock):
    limiter = MovingWindowRateLimiter(MemoryWindows())
    assert limiter.get_window_stats(parse("5/minute"), "nobody") == (clock[0] + 60, 5)


def test_expired_keys_are_swept(clock):
    storage = MemoryWindows()
    limiter = MovingWindowRateLimiter(storage)
    limit = parse("5/second")
    for number in range(100):
        limiter.hit(limit, "phone", str(number))
    assert len(storage) == 100
    clock[0] += 5
    limiter.hit(limit, "phone", "new")  # the next hit after a second sweeps
    assert len(storage) == 1
    assert limiter.test(limit, "phone", "0")


def test_a_sweep_keeps_keys_still_in_their_window(clock):
    storage = MemoryWindows()
    limiter = MovingWindowRateLimiter(storage)
    hour = parse("1/hour")
    limiter.hit(hour, "phone", "13900000001")
    clock[0] += 120
    limiter.hit(parse("5/second"), "ip", "1.2.3.4")  # sweeps
    assert len(storage) == 2
    assert not limiter.test(hour, "phone", "13900000001")


def test_fixed_window_counters_work_too(clock):
    storage = MemoryWindows()
    limiter = FixedWindowRateLimiter(storage)
    limit = parse("2/minute")
    assert limiter.hit(limit, "k") and limiter.hit(limit, "k")
    assert not limiter.hit(limit, "k")
    clock[0] += 61
    assert limiter.hit(limit, "k")


def test_reset_and_clear_forget_windows(clock):
    storage = MemoryWindows()
    limiter = MovingWindowRateLimiter(storage)
    limit = parse("1/hour")
    limiter.hit(limit, "a")
    limiter.hit(limit, "b")
    limiter.clear(limit, "a")
    assert limiter.test(limit, "a") and not limiter.test(limit, "b")
    assert storage.reset() == 1
    assert limiter.test(limit, "b") and len(storage) == 0


def test_login_limits_are_20_per_ip_in_5_minutes_and_10_per_user_in_15():
    ratelimit.reset()
    try:
        for number in range(9):
            ratelimit.failed_login(f"10.0.0.{number}", "wang")
        ratelimit.check_login("10.0.1.1", "wang")  # 9 failures: still allowed
        ratelimit.failed_login("10.0.0.9", "wang")
        with pytest.raises(RateLimited) as refused:
            ratelimit.check_login("10.0.1.1", "Wang")  # per user, whatever the case
        assert refused.value.retry_after == 15 * 60
        for number in range(19):
            ratelimit.failed_login("1.2.3.4", f"user{number}")
        ratelimit.check_login("1.2.3.4", "someone-else")  # 19 failures from here: allowed
        ratelimit.failed_login("1.2.3.4", "user19")
        with pytest.raises(RateLimited) as refused:
            ratelimit.check_login("1.2.3.4", "someone-else")  # per address
        assert refused.value.retry_after == 5 * 60
    finally:
        ratelimit.reset()


def test_registration_limits_come_from_the_settings_when_checked(request):
    ratelimit.reset()
    request.addfinalizer(ratelimit.reset)
    set_environment(
        request,
        EVENTS_REGISTRATION_LIMIT_PER_IP="2/minute",
        EVENTS_REGISTRATION_LIMIT_PER_PHONE="1/hour",
    )
    ratelimit.check_registration("1.2.3.4", "13900000001")
    ratelimit.registered("13900000001")
    with pytest.raises(RateLimited) as refused:
        ratelimit.check_registration("1.2.3.4", "13900000001")  # per phone
    assert refused.value.retry_after == 3600
    ratelimit.check_registration("1.2.3.4", "13900000002")  # the address's second registration
    with pytest.raises(RateLimited) as refused:
        ratelimit.check_registration("1.2.3.4", "13900000003")  # per address
    assert refused.value.retry_after == 60
    set_environment(request, EVENTS_REGISTRATION_LIMIT_PER_IP="100/minute")
    ratelimit.check_registration("1.2.3.4", "13900000003")  # re-read, no re-import
