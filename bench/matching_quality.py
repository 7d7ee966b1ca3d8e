"""Top-1 and top-3 accuracy of the 快墅转 matcher and of the bigram floor on the labelled set
(tests/matching/labelled_pairs.json); with --misses, the needs each one gets wrong.

    .venv/bin/python bench/matching_quality.py [--misses] [--speed]

--speed also times the index over 10,000 synthetic items and one need matched against 5,000
offers (p50/p99), the synthetic items being recombined from the labelled set's sentences.
"""

from __future__ import annotations

import json
import random
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from events.matching.floor import BigramFloor  # noqa: E402
from events.matching.matcher import Matcher  # noqa: E402

LABELLED = ROOT / "tests" / "matching" / "labelled_pairs.json"


def load() -> dict:
    return json.loads(LABELLED.read_text(encoding="utf-8"))


def ranked_ids(method: str, data: dict) -> dict[str, list]:
    """need id → the offer ids ranked best first (at most 10)."""
    if method == "matcher":
        index = Matcher(data["offers"])
        return {n["id"]: [m.id for m in index.match(n, limit=10)] for n in data["needs"]}
    floor = BigramFloor(data["offers"])
    return {n["id"]: [i for i, _ in floor.match(n, limit=10)] for n in data["needs"]}


def accuracy(ranking: dict[str, list], data: dict) -> tuple[float, float]:
    needs = data["needs"]
    top1 = sum(bool(ranking[n["id"]][:1]) and ranking[n["id"]][0] in n["answers"] for n in needs)
    top3 = sum(any(i in n["answers"] for i in ranking[n["id"]][:3]) for n in needs)
    return top1 / len(needs), top3 / len(needs)


def synthetic(data: dict, n: int, seed: int) -> list[dict]:
    """n offers (or needs) recombined from the labelled items' titles, keywords and clauses."""
    rng = random.Random(seed)
    pool = data["offers"] + data["needs"]
    clauses = [c for item in pool for c in re.split("[，。；]", item["description"]) if c]
    keywords = [k for item in pool for k in item["keywords"]]
    items = []
    for i in range(n):
        base = rng.choice(pool)
        items.append(
            {
                "id": i,
                "title": base["title"] + rng.choice(["", "（改进型）", "及其应用", "关键技术"]),
                "field": base["field"],
                "keywords": rng.sample(keywords, 4),
                "description": "，".join(rng.sample(clauses, 5)) + "。",
                "cooperation": base["cooperation"],
                "maturity": base.get("maturity", "中试"),
            }
        )
    return items


def speed(data: dict) -> None:
    items = synthetic(data, 10_000, seed=1)
    Matcher(items[:50])  # jieba and the dictionary load once, outside the timing
    started = time.perf_counter()
    Matcher(items)
    print(f"index 10,000 synthetic items: {time.perf_counter() - started:.2f} s")
    index = Matcher(items[:5_000])
    queries = synthetic(data, 200, seed=2)
    times = []
    for query in queries:
        started = time.perf_counter()
        index.match(query, limit=10)
        times.append((time.perf_counter() - started) * 1000)
    q = statistics.quantiles(times, n=100)
    print(
        f"one need against 5,000 offers: p50 {q[49]:.1f} ms, p99 {q[98]:.1f} ms "
        f"({len(times)} queries)"
    )


def main() -> None:
    data = load()
    print(f"labelled set: {len(data['offers'])} offers, {len(data['needs'])} needs")
    print("| method | top-1 | top-3 |")
    print("|---|---|---|")
    for method in ("matcher", "floor"):
        ranking = ranked_ids(method, data)
        top1, top3 = accuracy(ranking, data)
        print(f"| {method} | {top1:.1%} | {top3:.1%} |")
        if "--misses" in sys.argv:
            for need in data["needs"]:
                if ranking[need["id"]][:1] != need["answers"][:1] and (
                    ranking[need["id"]][:1] and ranking[need["id"]][0] not in need["answers"]
                ):
                    print("   miss", need["id"], need["answers"], ranking[need["id"]][:3])
    if "--speed" in sys.argv:
        speed(data)


if __name__ == "__main__":
    main()
