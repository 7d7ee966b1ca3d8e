"""The ranking rule against an independent computation, with harsh and lenient judges."""

import random
import statistics
from datetime import datetime, timedelta

from events.contests.ranking import Candidate, Mark, quota, rank

CRITERIA = [
    {"code": "idea", "name": "立意", "weight": 0.4},
    {"code": "art", "name": "表现", "weight": 0.4},
    {"code": "neat", "name": "完整", "weight": 0.2},
]
T0 = datetime(2026, 5, 1, 9, 0)


def independent(entries, marks, share):
    """The contract's rule written again, plainly, with statistics.pstdev."""
    w = {c["code"]: c["weight"] / sum(x["weight"] for x in CRITERIA) for c in CRITERIA}
    s = {(m.judge, m.entry_id): sum(w[c] * m.scores[c] for c in w) for m in marks}
    by_judge = {}
    for (judge, entry), value in s.items():
        by_judge.setdefault(judge, {})[entry] = value
    z = {}
    for judge, given in by_judge.items():
        mean = statistics.fmean(given.values())
        sd = statistics.pstdev(given.values())
        for entry, value in given.items():
            z[(judge, entry)] = 0.0 if sd == 0 else (value - mean) / sd
    out = {}
    for group in sorted({e.group for e in entries}):
        rows = []
        for e in [e for e in entries if e.group == group]:
            mine = [k for k in s if k[1] == e.entry_id]
            raw = statistics.fmean(s[k] for k in mine) if mine else None
            score = statistics.fmean(z[k] for k in mine) if mine else None
            rows.append((e, raw, score))
        rows.sort(
            key=lambda r: (
                r[2] is None,
                -round(r[2] or 0, 9),
                -round(r[1] or 0, 9),
                r[0].submitted_at,
            )
        )
        k = int(share * len(rows) + 0.5)
        out[group] = [
            (r[0].entry_id, i + 1, i < k and r[2] is not None) for i, r in enumerate(rows)
        ]
    return out


def fixture(seed=7, n=60, judges=6, per_entry=3):
    rng = random.Random(seed)
    quality = {i: rng.gauss(6, 1.5) for i in range(1, n + 1)}
    bias = {
        j: b for j, b in zip(range(100, 100 + judges), [-2.5, -1, 0, 0.5, 1.5, 2.5], strict=False)
    }
    entries = [
        Candidate(i, f"A-{i:04d}", "low" if i % 2 else "high", T0 + timedelta(minutes=i))
        for i in range(1, n + 1)
    ]
    marks = []
    for e in entries:
        for judge in rng.sample(sorted(bias), per_entry):
            scores = {
                c["code"]: max(
                    1, min(10, round(quality[e.entry_id] + bias[judge] + rng.gauss(0, 0.7)))
                )
                for c in CRITERIA
            }
            marks.append(Mark(judge, e.entry_id, scores))
    return entries, marks


def test_ranking_equals_an_independent_computation_with_harsh_and_lenient_judges():
    entries, marks = fixture()
    ours = rank(entries, marks, CRITERIA, 0.2)
    theirs = independent(entries, marks, 0.2)
    assert set(ours) == set(theirs)
    for group, ranked in ours.items():
        assert [(r.entry_id, r.rank, r.selected) for r in ranked] == theirs[group]
        assert sum(r.selected for r in ranked) == quota(0.2, len(ranked)) == 6


def test_a_harsh_judge_does_not_sink_the_entries_they_scored():
    # Two entries of equal quality; one is scored by a harsh judge, one by a lenient judge.
    entries = [Candidate(i, f"A-{i}", "g", T0 + timedelta(minutes=i)) for i in range(1, 7)]
    marks = []
    harsh, lenient = 1, 2
    for entry, base in zip(range(1, 4), (3, 4, 5), strict=True):
        marks.append(Mark(harsh, entry, dict.fromkeys(("idea", "art", "neat"), base)))
    for entry, base in zip(range(4, 7), (8, 9, 10), strict=True):
        marks.append(Mark(lenient, entry, dict.fromkeys(("idea", "art", "neat"), base)))
    ranked = rank(entries, marks, CRITERIA, 0.5)["g"]
    by_id = {r.entry_id: r for r in ranked}
    # Each judge's best entry gets the same z, whatever the judge's severity.
    assert by_id[3].score == by_id[6].score
    assert by_id[3].raw == 5 and by_id[6].raw == 10
    # Equal score: the higher raw ranks first (rule 4).
    assert by_id[6].rank < by_id[3].rank


def test_ties_break_by_raw_then_submission_and_unscored_rank_last():
    entries = [Candidate(i, f"A-{i}", "g", T0 + timedelta(minutes=10 - i)) for i in range(1, 5)]
    marks = [
        Mark(1, 1, {"idea": 5, "art": 5, "neat": 5}),
        Mark(1, 2, {"idea": 5, "art": 5, "neat": 5}),
        Mark(1, 3, {"idea": 9, "art": 9, "neat": 9}),
    ]
    ranked = rank(entries, marks, CRITERIA, 1.0)["g"]
    assert [r.entry_id for r in ranked] == [3, 2, 1, 4]  # 2 was submitted before 1
    assert ranked[1].tied and ranked[2].tied
    assert ranked[-1].score is None and not ranked[-1].selected and ranked[-1].judges == 0


def test_a_judge_who_gives_the_same_score_everywhere_contributes_zero():
    entries = [Candidate(i, f"A-{i}", "g", T0) for i in (1, 2)]
    marks = [
        Mark(1, 1, dict.fromkeys(("idea", "art", "neat"), 7)),
        Mark(1, 2, dict.fromkeys(("idea", "art", "neat"), 7)),
    ]
    ranked = rank(entries, marks, CRITERIA, 0.5)["g"]
    assert [r.score for r in ranked] == [0.0, 0.0]


def test_quota_rounds_half_up_on_the_typed_decimal():
    assert quota(0.2, 1398) == 280  # 279.6 + 0.5
    assert quota(0.2, 12) == 2  # 2.4
    assert quota(0.25, 10) == 3  # 2.5 rounds up, exactly
    assert quota(0.15, 10) == 2  # 1.5 + 0.5 = 2.0 (a binary float would give 1.9999…)
    assert quota(0, 10) == 0 and quota(1, 10) == 10


def test_group_quota_overrides_the_share():
    entries, marks = fixture()
    ranked = rank(entries, marks, CRITERIA, 0.2, quotas={"low": 2})
    assert sum(r.selected for r in ranked["low"]) == 2
    assert sum(r.selected for r in ranked["high"]) == 6


def test_empty_groups_are_listed():
    assert rank([], [], CRITERIA, 0.2, groups=["a", "b"]) == {"a": [], "b": []}
