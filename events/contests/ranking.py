"""The contract's ranking rule, as a pure function (no database).

1. A judge's score for an entry is the weighted mean of its criteria (weights normalised to 1);
   an entry's `raw` is the mean of those over its judges.
2. Each judge's scores are standardised over every entry that judge scored in the contest:
   z = (s − mean) / sd, population sd, z = 0 when sd is 0 (a judge's severity or leniency cancels).
3. An entry's `score` is the mean z over its judges; entries nobody scored rank last and are
   never selected.
4. Within a group: by score, then raw, then earlier submission; equal to 9 decimals is equal.
5. The top k of each group are selected, k = floor(share × n + 0.5), n = the group's entries
   that are neither withdrawn nor rejected (or the group's quota where the organizer set one).

Scores are exact fractions until the square root; comparisons use values rounded to 9 decimals.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction

PLACES = 9


@dataclass(frozen=True)
class Candidate:
    entry_id: int
    code: str
    group: str
    submitted_at: datetime


@dataclass(frozen=True)
class Mark:
    judge: int
    entry_id: int
    scores: Mapping[str, int]  # criterion code → 1..10


@dataclass
class Ranked:
    entry_id: int
    code: str
    group: str
    judges: int
    raw: float | None
    score: float | None
    rank: int = 0
    selected: bool = False
    spread: float | None = None  # max − min of the judges' weighted scores (disagreement)
    tied: bool = False  # shares score and raw (to 9 places) with a neighbour
    by_rule: bool = False  # selected by the rule, before any organizer's move
    per_judge: list[dict] = field(default_factory=list)  # [{"judge", "weighted", "z"}]


def weights(criteria: Iterable[Mapping]) -> dict[str, Fraction]:
    given = {item["code"]: Fraction(str(item["weight"])) for item in criteria}
    total = sum(given.values())
    return {code: weight / total for code, weight in given.items()}


def weighted(scores: Mapping[str, int], normalised: Mapping[str, Fraction]) -> Fraction:
    return sum((normalised[code] * Fraction(int(scores[code])) for code in normalised), Fraction(0))


def quota(share: float, n: int) -> int:
    """floor(share × n + 0.5), computed on the decimal the organizer typed, not a binary float."""
    return math.floor(Fraction(str(share)) * n + Fraction(1, 2))


def _rounded(value: float | Fraction | None) -> float | None:
    return None if value is None else round(float(value), PLACES)


def rank(
    candidates: Iterable[Candidate],
    marks: Iterable[Mark],
    criteria: Iterable[Mapping],
    share: float,
    quotas: Mapping[str, int] | None = None,
    groups: Iterable[str] = (),
) -> dict[str, list[Ranked]]:
    """Group code → its entries ranked (best first), `selected` set by the rule."""
    normalised = weights(criteria)
    people = list(candidates)
    known = {person.entry_id for person in people}
    by_judge: dict[int, dict[int, Fraction]] = defaultdict(dict)
    for mark in marks:
        if mark.entry_id in known:
            by_judge[mark.judge][mark.entry_id] = weighted(mark.scores, normalised)
    z_of: dict[tuple[int, int], float] = {}
    for judge, given in by_judge.items():
        values = list(given.values())
        mean = sum(values, Fraction(0)) / len(values)
        variance = sum(((v - mean) ** 2 for v in values), Fraction(0)) / len(values)
        sd = math.sqrt(variance)
        for entry_id, value in given.items():
            z_of[(judge, entry_id)] = 0.0 if variance == 0 else float(value - mean) / sd
    per_entry: dict[int, list[tuple[int, Fraction]]] = defaultdict(list)
    for judge, given in by_judge.items():
        for entry_id, value in given.items():
            per_entry[entry_id].append((judge, value))
    result: dict[str, list[Ranked]] = {code: [] for code in groups}
    for person in people:
        given = sorted(per_entry.get(person.entry_id, []))
        raw = sum((v for _, v in given), Fraction(0)) / len(given) if given else None
        score = (
            math.fsum(z_of[(j, person.entry_id)] for j, _ in given) / len(given) if given else None
        )
        result.setdefault(person.group, []).append(
            Ranked(
                entry_id=person.entry_id,
                code=person.code,
                group=person.group,
                judges=len(given),
                raw=_rounded(raw),
                score=_rounded(score),
                # Disagreement needs two judges at least; with one there is none to measure.
                spread=_rounded(max(v for _, v in given) - min(v for _, v in given))
                if len(given) > 1
                else None,
                per_judge=[
                    {"judge": j, "weighted": _rounded(v), "z": _rounded(z_of[(j, person.entry_id)])}
                    for j, v in given
                ],
            )
        )
    order = {person.entry_id: (person.submitted_at, person.entry_id) for person in people}
    for code, ranked in result.items():
        ranked.sort(
            key=lambda r: (
                r.score is None,
                -(r.score or 0.0),
                -(r.raw or 0.0),
                order[r.entry_id],
            )
        )
        for index, item in enumerate(ranked):
            item.rank = index + 1
            key = (item.score, item.raw)
            neighbours = ranked[max(0, index - 1) : index] + ranked[index + 1 : index + 2]
            item.tied = item.score is not None and any((n.score, n.raw) == key for n in neighbours)
        k = quotas[code] if quotas and code in quotas else quota(share, len(ranked))
        for item in ranked[:k]:
            if item.score is not None:
                item.selected = item.by_rule = True
    return result
