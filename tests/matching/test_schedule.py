"""The meeting scheduler: hard rules on random instances, optimum against a brute force."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from events.matching.schedule import Meeting, Request, Result, idle_slots, solve


def check_rules(result: Result, slots, tables, requests, unavailable=None, locked=()):
    """Assert every hard rule of the schedule; return nothing."""
    unavailable = unavailable or {}
    wanted = {(r.offer, r.need): r.priority for r in requests}
    pairs = [(m.offer, m.need) for m in result.meetings]
    assert len(pairs) == len(set(pairs)), "a pair meets twice"
    assert all(p in wanted for p in pairs), "an unrequested pair meets"
    for m in result.meetings:
        assert 0 <= m.slot < slots and 1 <= m.table <= tables
    table_use = Counter((m.slot, m.table) for m in result.meetings)
    assert max(table_use.values(), default=0) <= 1, "a table hosts two meetings in one slot"
    per_slot = Counter(m.slot for m in result.meetings)
    assert max(per_slot.values(), default=0) <= tables
    busy = Counter()
    for m in result.meetings:
        busy[(("offer", m.offer), m.slot)] += 1
        busy[(("need", m.need), m.slot)] += 1
    assert max(busy.values(), default=0) <= 1, "a participant in two meetings in one slot"
    for (party, slot), _n in busy.items():
        assert slot not in unavailable.get(party, set()), "a meeting in an unavailable slot"
    for m in locked:
        assert m in result.meetings, "a locked meeting moved"
    met = set(pairs)
    assert sorted(result.unscheduled) == sorted(p for p in wanted if p not in met)
    assert result.objective == sum(wanted[p] for p in met)
    assert result.idle == idle_slots(result.meetings)
    assert result.objective <= result.bound + 1e-6


def brute_force(slots, tables, requests, unavailable=None, locked=()):
    """(best total priority, least idle among schedules of that priority), by exhaustive search."""
    unavailable = unavailable or {}
    locked_pairs = {(m.offer, m.need) for m in locked}
    todo = [r for r in requests if (r.offer, r.need) not in locked_pairs]
    base = sum(r.priority for r in requests if (r.offer, r.need) in locked_pairs)
    used = {(p, m.slot) for m in locked for p in (("offer", m.offer), ("need", m.need))}
    count = Counter(m.slot for m in locked)
    best = [(-1, 0)]
    chosen: list[Meeting] = list(locked)

    def go(i, value):
        if i == len(todo):
            key = (value, -idle_slots(chosen))
            best[0] = max(best[0], key)
            return
        go(i + 1, value)
        r = todo[i]
        parties = (("offer", r.offer), ("need", r.need))
        for s in range(slots):
            if count[s] >= tables or any((p, s) in used for p in parties):
                continue
            if any(s in unavailable.get(p, set()) for p in parties):
                continue
            for p in parties:
                used.add((p, s))
            count[s] += 1
            chosen.append(Meeting(r.offer, r.need, s, 0))
            go(i + 1, value + r.priority)
            chosen.pop()
            count[s] -= 1
            for p in parties:
                used.discard((p, s))

    go(0, base)
    value, minus_idle = best[0]
    return value, -minus_idle


def random_instance(rng: random.Random, offers, needs, n_requests, slots, tables):
    pairs = [(o, n) for o in range(1, offers + 1) for n in range(1, needs + 1)]
    picked = rng.sample(pairs, min(n_requests, len(pairs)))
    requests = [Request(o, n, rng.randint(1, 3)) for o, n in picked]
    unavailable = {}
    for kind, count in (("offer", offers), ("need", needs)):
        for i in range(1, count + 1):
            if rng.random() < 0.3:
                unavailable[(kind, i)] = {rng.randrange(slots)}
    return requests, unavailable


def random_locks(rng, requests, slots, tables, unavailable, k):
    """Up to k locked meetings that keep every rule (a greedy pick)."""
    locked, used, tables_used = [], set(), set()
    for r in rng.sample(requests, len(requests)):
        if len(locked) >= k:
            break
        s, t = rng.randrange(slots), rng.randint(1, tables)
        parties = (("offer", r.offer), ("need", r.need))
        if (s, t) in tables_used or any((p, s) in used for p in parties):
            continue
        if any(s in unavailable.get(p, set()) for p in parties):
            continue
        locked.append(Meeting(r.offer, r.need, s, t))
        tables_used.add((s, t))
        used.update((p, s) for p in parties)
    return locked


@pytest.mark.parametrize("seed", range(30))
def test_every_hard_rule_holds_on_random_instances(seed):
    rng = random.Random(seed)
    offers, needs = rng.randint(2, 10), rng.randint(2, 10)
    slots, tables = rng.randint(1, 6), rng.randint(1, 4)
    requests, unavailable = random_instance(rng, offers, needs, rng.randint(1, 40), slots, tables)
    locked = random_locks(rng, requests, slots, tables, unavailable, rng.randint(0, 3))
    result = solve(slots, tables, requests, unavailable, locked, time_limit=5, workers=1)
    check_rules(result, slots, tables, requests, unavailable, locked)


@pytest.mark.parametrize("seed", range(25))
def test_priority_and_idle_equal_the_brute_force_optimum_on_small_instances(seed):
    rng = random.Random(1000 + seed)
    offers = rng.randint(1, 3)
    needs = rng.randint(1, 6 - offers) if offers < 6 else 1
    slots, tables = 3, 2
    requests, unavailable = random_instance(rng, offers, needs, rng.randint(1, 8), slots, tables)
    if seed % 3 == 0:
        unavailable = {}
    locked = random_locks(rng, requests, slots, tables, unavailable, 1) if seed % 4 == 1 else []
    result = solve(slots, tables, requests, unavailable, locked, time_limit=5, workers=1)
    check_rules(result, slots, tables, requests, unavailable, locked)
    value, idle = brute_force(slots, tables, requests, unavailable, locked)
    assert result.optimal
    assert result.objective == value
    assert result.idle == idle


def test_brute_force_and_solver_prefer_fewer_idle_slots():
    # offer 1 meets needs 1 and 2; with 3 slots and 1 table, the two meetings must be adjacent.
    requests = [Request(1, 1, 1), Request(1, 2, 1)]
    result = solve(3, 1, requests, workers=1)
    assert result.objective == 2 and result.idle == 0
    assert abs(result.meetings[0].slot - result.meetings[1].slot) == 1
    assert brute_force(3, 1, requests) == (2, 0)


def test_higher_priority_wins_a_contested_slot():
    # One slot, one table: only one of the two requests can meet.
    result = solve(1, 1, [Request(1, 1, 1), Request(2, 1, 3)], workers=1)
    assert [(m.offer, m.need) for m in result.meetings] == [(2, 1)]
    assert result.unscheduled == [(1, 1)]
    assert result.objective == 3 and result.optimal


def test_locked_meetings_stay_and_others_work_around_them():
    requests = [Request(1, 1, 1), Request(2, 1, 3), Request(2, 2, 2), Request(3, 2, 1)]
    locked = [Meeting(1, 1, 0, 2), Meeting(3, 2, 1, 1)]
    result = solve(2, 2, requests, locked=locked, workers=1)
    check_rules(result, 2, 2, requests, locked=locked)
    for m in locked:
        assert m in result.meetings
    # need 1 is held in slot 0 by the lock, so (2, 1) goes to slot 1; (2, 2) then to slot 0,
    # at table 1 (table 2 is the lock's).
    assert Meeting(2, 1, 1, 2) in result.meetings
    assert Meeting(2, 2, 0, 1) in result.meetings
    assert result.objective == 7


def test_locked_meeting_keeps_its_table_even_when_it_takes_the_last_one():
    result = solve(1, 1, [Request(1, 1, 1), Request(2, 2, 3)], locked=[Meeting(1, 1, 0, 1)])
    assert result.meetings == [Meeting(1, 1, 0, 1)]
    assert result.unscheduled == [(2, 2)]


def test_unavailable_slots_stay_free():
    requests = [Request(1, 1, 1), Request(1, 2, 1), Request(2, 1, 1)]
    unavailable = {("offer", 1): {0, 2}, ("need", 1): {1}}
    result = solve(3, 2, requests, unavailable, workers=1)
    check_rules(result, 3, 2, requests, unavailable)
    slots_of = {(m.offer, m.need): m.slot for m in result.meetings}
    assert slots_of == {(1, 2): 1, (2, 1): 0} or slots_of == {(1, 2): 1, (2, 1): 2}
    assert result.unscheduled == [(1, 1)]


def test_two_locked_meetings_of_one_participant_in_one_slot_are_refused():
    requests = [Request(1, 1, 1), Request(1, 2, 1)]
    with pytest.raises(ValueError, match="同一参与方不能同时洽谈两场"):
        solve(2, 2, requests, locked=[Meeting(1, 1, 0, 1), Meeting(1, 2, 0, 2)])


@pytest.mark.parametrize(
    ("requests", "locked", "unavailable", "message"),
    [
        ([Request(1, 1, 4)], [], {}, "优先级"),
        ([Request(1, 1, 1), Request(1, 1, 2)], [], {}, "只能请求一次"),
        ([Request(1, 1, 1)], [Meeting(2, 2, 0, 1)], {}, "不在对接请求之中"),
        ([Request(1, 1, 1)], [Meeting(1, 1, 5, 1)], {}, "时段不存在"),
        ([Request(1, 1, 1)], [Meeting(1, 1, 0, 3)], {}, "桌号不存在"),
        (
            [Request(1, 1, 1), Request(2, 2, 1)],
            [Meeting(1, 1, 0, 1), Meeting(2, 2, 0, 1)],
            {},
            "同一张桌",
        ),
        ([Request(1, 1, 1)], [Meeting(1, 1, 0, 1)], {("need", 1): {0}}, "不可用"),
    ],
)
def test_bad_input_raises_a_clear_value_error(requests, locked, unavailable, message):
    with pytest.raises(ValueError, match=message):
        solve(2, 2, requests, unavailable, locked)


def test_empty_input_gives_an_empty_optimal_schedule():
    for slots, tables in ((0, 0), (3, 2), (0, 5)):
        result = solve(slots, tables, [])
        assert result.meetings == [] and result.unscheduled == []
        assert result.optimal and result.objective == 0 and result.idle == 0
    result = solve(0, 2, [Request(1, 1, 2)])
    assert result.unscheduled == [(1, 1)] and result.optimal


def test_same_input_gives_the_same_schedule_with_one_worker():
    rng = random.Random(7)
    requests, unavailable = random_instance(rng, 8, 8, 30, 5, 3)
    first = solve(5, 3, requests, unavailable, workers=1)
    for _ in range(3):
        again = solve(5, 3, requests, unavailable, workers=1)
        assert again.meetings == first.meetings
