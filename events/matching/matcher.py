"""The 快墅转 matcher: for a need, the offers that answer it (or the other way round), each with a
score in 0–1 and reasons in Chinese a person can check.

Pure: it works over plain dicts with `id`, `title`, `keywords` (list), `description`, `field`,
`cooperation` (a mode or a list of modes) and, for offers, `maturity`.

How a score is made (docs/matching.md):
- Each item becomes a sparse vector over synonym-normalised terms (text.terms): a term's weight
  is its count, title and keyword words counting TITLE_WEIGHT times, damped (1 + log) and
  multiplied by its IDF over the indexed items; vectors are L2-normalised.
- An inverted index (term → [(item, weight)]) gives the cosine of the query with every item
  that shares a term, without touching the others.
- score = TEXT·cosine + FIELD·(same field) + MODE·(a cooperation mode in common)
  + MATURITY·(the offer's maturity, 实验室 0.25 … 产业化 1), for candidates that share a term.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from events.core.i18n import N_
from events.core.i18n import gettext as _
from events.matching.text import terms

TITLE_WEIGHT = 3.0
TEXT, FIELD, MODE, MATURITY = 0.76, 0.14, 0.05, 0.05
MATURITY_LEVEL = {"实验室": 0.25, "小试": 0.5, "中试": 0.75, "产业化": 1.0}
MODE_NAMES = {
    "转让": N_("技术转让"),
    "许可": N_("技术许可"),
    "合作开发": N_("合作开发"),
    "技术咨询": N_("技术咨询"),
    "作价入股": N_("作价入股"),
}
REASON_FIELD = N_("同属领域：{field}")
REASON_SHARED = N_("共同关键词：{terms}")
REASON_RELATED = N_("相关说法：{pairs}")
REASON_MODE = N_("合作方式一致：{modes}")
REASON_MATURITY = N_("成熟度：{maturity}")
SEPARATOR = "、"


@dataclass(frozen=True)
class Match:
    id: object
    score: float
    reasons: list[str]


@dataclass
class _Doc:
    id: object
    field: str
    modes: frozenset[str]
    maturity: str
    vector: dict[str, float]  # canonical term → normalised weight
    surfaces: dict[str, list[str]]  # canonical term → the words the item used for it


def _modes(value) -> frozenset[str]:
    if not value:
        return frozenset()
    if isinstance(value, str):
        value = [value]
    return frozenset(str(v).strip() for v in value if str(v).strip())


def _weighted_terms(item: dict) -> tuple[dict[str, float], dict[str, list[str]]]:
    counts: dict[str, float] = defaultdict(float)
    surfaces: dict[str, list[str]] = defaultdict(list)
    keywords = item.get("keywords") or []
    if isinstance(keywords, str):
        keywords = [keywords]
    heavy = " ".join([str(item.get("title") or ""), *map(str, keywords)])
    for text, weight in ((heavy, TITLE_WEIGHT), (str(item.get("description") or ""), 1.0)):
        for term in terms(text):
            counts[term.canon] += weight
            if term.surface not in surfaces[term.canon]:
                surfaces[term.canon].append(term.surface)
    return counts, surfaces


def _normalise(counts: dict[str, float], idf) -> dict[str, float]:
    vector = {t: (1.0 + math.log(c)) * idf(t) for t, c in counts.items() if c > 0}
    norm = math.sqrt(sum(w * w for w in vector.values())) or 1.0
    return {t: w / norm for t, w in vector.items()}


class Matcher:
    """An index over offers (or needs); `match(query)` ranks them for one need (or offer)."""

    def __init__(self, items: Iterable[dict]):
        raw = []
        df: dict[str, int] = defaultdict(int)
        for item in items:
            counts, surfaces = _weighted_terms(item)
            raw.append((item, counts, surfaces))
            for term in counts:
                df[term] += 1
        n = len(raw)
        self._idf = {t: math.log((n + 1) / (d + 0.5)) + 1.0 for t, d in df.items()}
        self._unseen_idf = math.log((n + 1) / 0.5) + 1.0
        self._docs: list[_Doc] = []
        self._postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for index, (item, counts, surfaces) in enumerate(raw):
            vector = _normalise(counts, self.idf)
            self._docs.append(
                _Doc(
                    id=item.get("id"),
                    field=str(item.get("field") or ""),
                    modes=_modes(item.get("cooperation")),
                    maturity=str(item.get("maturity") or ""),
                    vector=vector,
                    surfaces=dict(surfaces),
                )
            )
            for term, weight in vector.items():
                self._postings[term].append((index, weight))

    def __len__(self) -> int:
        return len(self._docs)

    def idf(self, term: str) -> float:
        return self._idf.get(term, self._unseen_idf)

    def match(self, query: dict, limit: int = 10) -> list[Match]:
        counts, query_surfaces = _weighted_terms(query)
        qvec = _normalise(counts, self.idf)
        cosine: dict[int, float] = defaultdict(float)
        for term, qweight in qvec.items():
            for index, weight in self._postings.get(term, ()):
                cosine[index] += qweight * weight
        field = str(query.get("field") or "")
        modes = _modes(query.get("cooperation"))
        query_maturity = str(query.get("maturity") or "")
        scored = []
        for index, cos in cosine.items():
            doc = self._docs[index]
            maturity = doc.maturity or query_maturity
            score = (
                TEXT * min(cos, 1.0)
                + FIELD * (bool(field) and doc.field == field)
                + MODE * bool(modes & doc.modes)
                + MATURITY * MATURITY_LEVEL.get(maturity, 0.0)
            )
            scored.append((-round(score, 9), index, score))
        scored.sort(key=lambda s: (s[0], s[1]))
        return [
            Match(
                id=self._docs[index].id,
                score=round(min(max(score, 0.0), 1.0), 4),
                reasons=self._reasons(
                    self._docs[index], qvec, query_surfaces, field, modes, query_maturity
                ),
            )
            for _, index, score in scored[: max(int(limit), 0)]
        ]

    def _reasons(self, doc, qvec, query_surfaces, field, modes, query_maturity) -> list[str]:
        reasons = []
        if field and doc.field == field:
            reasons.append(_(REASON_FIELD).format(field=field))
        shared = sorted(
            (t for t in qvec if t in doc.vector), key=lambda t: (-qvec[t] * doc.vector[t], t)
        )
        same, related = [], []
        for term in shared:
            ours, theirs = query_surfaces.get(term, []), doc.surfaces.get(term, [])
            common = [w for w in ours if w in theirs]
            if common:
                same.append(common[0])
            elif ours and theirs:
                related.append(f"{ours[0]}≈{theirs[0]}")
        if same:
            reasons.append(_(REASON_SHARED).format(terms=SEPARATOR.join(same[:5])))
        if related:
            reasons.append(_(REASON_RELATED).format(pairs=SEPARATOR.join(related[:4])))
        both = sorted(
            modes & doc.modes, key=lambda m: list(MODE_NAMES).index(m) if m in MODE_NAMES else 99
        )
        if both:
            names = [_(MODE_NAMES[m]) if m in MODE_NAMES else m for m in both]
            reasons.append(_(REASON_MODE).format(modes=SEPARATOR.join(names)))
        maturity = doc.maturity or query_maturity
        if maturity:
            reasons.append(_(REASON_MATURITY).format(maturity=maturity))
        return reasons
