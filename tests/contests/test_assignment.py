"""Balanced assignment: k distinct judges per entry, loads within one, conflicts respected."""

import itertools

import pytest

from events.contests.assignment import assign, loads


@pytest.mark.parametrize(
    ("entries", "judges", "k"), [(1400, 7, 3), (160, 6, 3), (10, 4, 3), (5, 2, 3), (37, 9, 2)]
)
def test_every_entry_gets_k_distinct_judges_and_loads_differ_by_at_most_one(entries, judges, k):
    pool = list(range(100, 100 + judges))
    result = assign(range(entries), pool, k)
    assert all(len(set(chosen)) == len(chosen) == min(k, judges) for chosen in result.values())
    counted = loads(result)
    assert set(counted) <= set(pool)
    assert max(counted.values()) - min(counted.get(j, 0) for j in pool) <= 1


def test_panels_mix_when_judges_divide_evenly():
    result = assign(range(60), [1, 2, 3, 4, 5, 6], 3)
    pairs = {
        pair for chosen in result.values() for pair in itertools.combinations(sorted(chosen), 2)
    }
    assert len(pairs) > 6  # not two fixed panels of three (which would give 6 pairs)


def test_a_conflict_is_never_assigned_and_the_entry_still_gets_k():
    result = assign(range(30), [1, 2, 3, 4], 3, excluded={5: [1], 6: [1, 2]})
    assert 1 not in result[5] and len(result[5]) == 3
    assert not {1, 2} & set(result[6]) and len(result[6]) == 2  # only two judges left for it


def test_kept_assignments_stay_and_count_towards_the_load():
    kept = {0: [1], 1: [1], 2: [1]}
    result = assign(range(12), [1, 2, 3], 1, kept=kept)
    assert result[0] == [1] and result[1] == [1] and result[2] == [1]
    counted = loads(result)
    assert max(counted.values()) - min(counted.values()) <= 1


def test_the_same_input_gives_the_same_assignment():
    assert assign(range(50), [1, 2, 3, 4, 5], 3, seed=9) == assign(
        range(50), [1, 2, 3, 4, 5], 3, seed=9
    )
