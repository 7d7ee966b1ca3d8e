"""The naive floor the matcher must beat (issue 12): character-bigram TF-IDF cosine over an
item's whole text (title, keywords, description), with no dictionary, synonyms or fields."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable

_NOISE = re.compile(r"[^\u4e00-\u9fffA-Za-z0-9]+")


def bigrams(text: str) -> Counter:
    grams: Counter = Counter()
    for run in _NOISE.split(text.lower()):
        grams.update(run[i : i + 2] for i in range(len(run) - 1))
    return grams


def _text(item: dict) -> str:
    keywords = item.get("keywords") or []
    if isinstance(keywords, str):
        keywords = [keywords]
    return " ".join(
        [str(item.get("title") or ""), *map(str, keywords), str(item.get("description") or "")]
    )


class BigramFloor:
    """`match(query, limit)` → [(id, cosine)], best first (ties by index order)."""

    def __init__(self, items: Iterable[dict]):
        grams = [(item.get("id"), bigrams(_text(item))) for item in items]
        df: Counter = Counter()
        for _, counts in grams:
            df.update(counts.keys())
        n = len(grams)
        self._idf = {g: math.log((n + 1) / (d + 1)) + 1.0 for g, d in df.items()}
        self._ids = [item_id for item_id, _ in grams]
        self._postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for index, (_, counts) in enumerate(grams):
            for gram, weight in self._vector(counts).items():
                self._postings[gram].append((index, weight))

    def _vector(self, counts: Counter) -> dict[str, float]:
        vector = {g: c * self._idf.get(g, 0.0) for g, c in counts.items()}
        norm = math.sqrt(sum(w * w for w in vector.values())) or 1.0
        return {g: w / norm for g, w in vector.items() if w}

    def match(self, query: dict, limit: int = 10) -> list[tuple[object, float]]:
        scores: dict[int, float] = defaultdict(float)
        for gram, qweight in self._vector(bigrams(_text(query))).items():
            for index, weight in self._postings.get(gram, ()):
                scores[index] += qweight * weight
        ranked = sorted(scores.items(), key=lambda s: (-round(s[1], 9), s[0]))
        return [(self._ids[i], round(s, 4)) for i, s in ranked[:limit]]
