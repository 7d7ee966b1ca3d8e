"""Event kinds, statuses, programmes (series), streets and organizing units of the bureau."""

from __future__ import annotations

from events.core.i18n import N_, gettext

KINDS: dict[str, str] = {
    "matching": N_("快墅转成果对接"),
    "lecture": N_("科普讲座"),
    "study_trip": N_("亲子研学"),
    "contest": N_("竞赛"),
    "training": N_("培训"),
    "policy": N_("政策宣讲"),
    "other": N_("其他活动"),
}

STATUSES: dict[str, str] = {
    "draft": N_("草稿"),
    "published": N_("已发布"),
    "cancelled": N_("已取消"),
}

# Programmes as the catalogue groups them (kind -> heading); the order is the display order.
PROGRAMMES: list[tuple[str, str]] = [
    ("matching", N_("快墅转 · 科技成果转化对接")),
    ("lecture", N_("科普墅 · 前沿科普讲座")),
    ("study_trip", N_("科普墅 · 亲子研学")),
    ("contest", N_("青少年竞赛")),
    ("policy", N_("政策宣讲")),
    ("training", N_("培训")),
    ("other", N_("其他活动")),
]

SERIES_SUGGESTIONS = ["快墅转", "科普墅", "墅正气", "政策宣讲", "科学传播员培训", "三长交流会"]

# Streets (街道) of Gongshu District.
STREETS = [
    "米市巷街道",
    "湖墅街道",
    "小河街道",
    "和睦街道",
    "拱宸桥街道",
    "大关街道",
    "上塘街道",
    "祥符街道",
    "康桥街道",
    "半山街道",
    "武林街道",
    "天水街道",
    "朝晖街道",
    "潮鸣街道",
    "长庆街道",
    "石桥街道",
    "东新街道",
    "文晖街道",
]

ORGANIZER_UNITS = [
    "拱墅区科学技术局",
    "拱墅区科学技术协会",
    "杭州（拱墅）新质成果转化中心",
]


def kind_label(kind: str) -> str:
    return gettext(KINDS.get(kind, KINDS["other"]))


def status_label(status: str) -> str:
    return gettext(STATUSES.get(status, status))
