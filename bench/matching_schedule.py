"""The 快墅转 meeting scheduler (events/matching/schedule.py) on two sizes of session, timed.

    .venv/bin/python bench/matching_schedule.py [--workers 2] [--seed 1] [--only a|b]

(a) 60 participants (30 offers, 30 needs), 300 requests, 10 slots, 20 tables, time limit 10 s
    (aim: the proven optimum in < 10 s);
(b) 200 participants (100 offers, 100 needs), 2,000 requests, 16 slots, 60 tables, time limit
    60 s (aim: a schedule in < 60 s, its gap to the bound printed).

Requests are distinct random (offer, need) pairs with priorities 1–3 drawn uniformly; 10 % of
the participants have one unavailable slot. Prints the load average before each run (the
machine is shared), the solver's seconds, optimal or not, total priority / bound and the gap,
the idle slots / their bound, and how many requests were left out.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from events.matching.schedule import Request, solve

CASES = {
    "a": {"offers": 30, "needs": 30, "requests": 300, "slots": 10, "tables": 20, "limit": 10.0},
    "b": {"offers": 100, "needs": 100, "requests": 2000, "slots": 16, "tables": 60, "limit": 60.0},
}


def instance(seed: int, offers: int, needs: int, requests: int, slots: int):
    rng = random.Random(seed)
    pairs = [(o, n) for o in range(1, offers + 1) for n in range(1, needs + 1)]
    chosen = rng.sample(pairs, requests)
    reqs = [Request(o, n, rng.randint(1, 3)) for o, n in chosen]
    unavailable = {}
    for kind, count in (("offer", offers), ("need", needs)):
        for i in range(1, count + 1):
            if rng.random() < 0.1:
                unavailable[(kind, i)] = {rng.randrange(slots)}
    return reqs, unavailable


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", choices=sorted(CASES))
    args = parser.parse_args()
    for name, case in CASES.items():
        if args.only and name != args.only:
            continue
        reqs, unavailable = instance(
            args.seed, case["offers"], case["needs"], case["requests"], case["slots"]
        )
        load = os.getloadavg()
        result = solve(
            case["slots"],
            case["tables"],
            reqs,
            unavailable,
            time_limit=case["limit"],
            workers=args.workers,
        )
        gap = (result.bound - result.objective) / result.bound if result.bound else 0.0
        requested = sum(r.priority for r in reqs)
        print(
            f"({name}) {case['offers'] + case['needs']} participants, {len(reqs)} requests, "
            f"{case['slots']} slots, {case['tables']} tables, limit {case['limit']:.0f} s, "
            f"{args.workers} workers, load before {load[0]:.2f}"
        )
        print(
            f"    {result.seconds:.2f} s, optimal={result.optimal}, "
            f"priority {result.objective} / bound {result.bound:.0f} (requested {requested}), "
            f"gap {gap:.2%}, idle {result.idle} / bound {result.idle_bound:.0f}, "
            f"meetings {len(result.meetings)}, unscheduled {len(result.unscheduled)}"
        )


if __name__ == "__main__":
    main()
