"""Balanced assignment of entries to judges, as a pure function (no database).

Each entry gets `k` distinct judges (all of them when fewer are named), and the judges' loads
differ by at most one: entries are dealt in turn to the least-loaded judges, the way cards are
dealt. Assignments kept from before (scores already given) count towards a judge's load and
are never moved; a judge who declared a conflict of interest with an entry is never given it.
With kept assignments or conflicts the spread can exceed one only where those force it.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping


def assign(
    entries: Iterable[int],
    judges: list[int],
    k: int,
    kept: Mapping[int, Iterable[int]] | None = None,
    excluded: Mapping[int, Iterable[int]] | None = None,
    seed: int = 0,
) -> dict[int, list[int]]:
    """entry id → its judges (kept ones first, then the new ones).

    `kept` maps an entry to judges who stay on it; `excluded` maps an entry to judges who may
    not judge it (conflicts of interest). Judges are identified by id. Ties between equally
    loaded judges are broken by a shuffle seeded with `seed` (the same input gives the same
    result), so that panels mix: with 6 judges and k = 3 the entries do not split into two
    panels that never share an entry.
    """
    kept = kept or {}
    excluded = excluded or {}
    shuffle = random.Random(seed)
    load = dict.fromkeys(judges, 0)
    result: dict[int, list[int]] = {}
    todo = list(entries)
    for entry in todo:
        result[entry] = list(dict.fromkeys(kept.get(entry, ())))
        for judge in result[entry]:
            if judge in load:
                load[judge] += 1
    need = min(k, len(judges))
    # Entries with the fewest eligible judges first, so that a conflict does not leave an
    # entry short because its only free judges were used up elsewhere.
    everyone = set(judges)
    position = {entry: index for index, entry in enumerate(todo)}

    def eligible(entry: int) -> int:
        return len(everyone - set(excluded.get(entry, ())))

    for entry in sorted(todo, key=lambda e: (eligible(e), position[e])):
        taken = set(result[entry])
        blocked = set(excluded.get(entry, ()))
        while len(result[entry]) < need:
            free = [j for j in judges if j not in taken and j not in blocked]
            if not free:
                break
            tiebreak = {j: shuffle.random() for j in free}
            judge = min(free, key=lambda j: (load[j], tiebreak[j]))
            result[entry].append(judge)
            taken.add(judge)
            load[judge] += 1
    return result


def loads(assignment: Mapping[int, Iterable[int]]) -> dict[int, int]:
    counted: dict[int, int] = {}
    for judges in assignment.values():
        for judge in judges:
            counted[judge] = counted.get(judge, 0) + 1
    return counted
