"""Benchmark of the public catalogue (issue 2) against a bare Litestar hello-world.

    .venv/bin/python bench/catalogue.py [--db sqlite|postgres] [--duration 15] [--connections 50]

1. Creates a fresh database (a SQLite file in a temporary folder, or a new PostgreSQL database
   `bench_catalogue_<random>` on postgresql://postgres@127.0.0.1:5432), runs `events migrate`
   on it and inserts 1,000 published events over the past year and the next six months.
2. Starts `events serve --workers 1 --quiet` on a free port and waits for /healthz.
3. Runs wrk (`-t2 -c50 --latency`, `Accept-Encoding: gzip`) against GET / (the catalogue
   page) and GET /api/v1/events after a short warm-up each.
4. Does the same against bench/hello.py served by uvicorn the same way (the framework's floor).
5. Measures the catalogue page's weight: the HTML of / plus the CSS and JS it references,
   gzip-compressed (as served when the server compresses, else gzip level 6 here).
6. Prints a table and the aims; stops every subprocess and drops the database at the end,
   also on an error, Ctrl-C or SIGTERM.

The machinery (database, servers, wrk, CPU accounting) is in bench/harness.py. Traffic goes to
127.0.0.1 only. wrk and the server share the machine's cores.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import os
import random
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from harness import HOST, WrkResult, fetch, measure, parser, print_table, session

EVENT_COUNT = 1000
SEED = 20260301

# Aims of issue 2.
AIM_RATIO = 0.50  # catalogue page requests/s >= 50% of the floor's
AIM_P99_MS = 50.0
AIM_WEIGHT_KB = 30.0  # HTML + CSS + JS, gzip-compressed; 1 KB = 1024 bytes


# --- data ------------------------------------------------------------------------------------

STREET_PLACES = {
    # street -> a few (venue, address) of the street; streets missing here get generic places.
    "拱宸桥街道": [
        ("大运河科技馆学术报告厅", "拱墅区丽水路 58 号 大运河科技馆 2 楼"),
        ("拱宸桥科普驿站多功能厅", "拱墅区桥西直街 115 号"),
    ],
    "小河街道": [
        ("运河科普会客厅（小河直街）", "拱墅区小河直街 36 号"),
        ("拱墅区青少年宫剧场", "拱墅区湖州街 3 号"),
    ],
    "上塘街道": [
        ("上塘古运河邻里中心报告厅", "拱墅区上塘路 366 号 邻里中心 3 楼"),
        ("上谷未来人才科创中心路演厅", "拱墅区上塘路 458 号 2 楼"),
    ],
    "祥符街道": [
        ("杭州（拱墅）新质成果转化中心", "拱墅区祥园路 30 号 北部软件园 B 座 1 楼"),
        ("环高校创新创业孵化基地", "拱墅区祥园路 88 号 1 楼"),
    ],
    "湖墅街道": [
        ("湖墅街道文化家园剧场", "拱墅区湖墅南路 313 号 文化家园 1 楼"),
        ("拱墅区科协会议室", "拱墅区湖墅南路 128 号 区科协 2 楼"),
    ],
    "康桥街道": [("生物创新智造中心开放实验室", "拱墅区康桥路 688 号")],
    "半山街道": [("半山国家森林公园游客服务中心", "拱墅区半山路 28 号")],
    "大关街道": [("大关街道市民中心礼堂", "拱墅区大关路 125 号 市民中心 4 楼")],
    "和睦街道": [("和睦科创园路演厅", "拱墅区和睦路 200 号 和睦科创园 3 楼")],
}
ROADS = ["莫干山路", "湖墅南路", "上塘路", "石祥路", "丽水路", "登云路", "大关路", "香积寺路"]

TOPICS = {
    "matching": (
        "快墅转",
        [
            "生物医药成果转化专场对接会",
            "智能制造与智能船舶技术对接会",
            "算力经济与数字经济成果路演",
            "新材料技术供需对接会",
            "“拱智大模型”供需匹配专场",
            "低空经济与无人机技术对接会",
            "节能环保技术成果发布会",
            "集成电路设计企业需求对接会",
        ],
        "发布高校院所最新科研成果，组织企业与科研团队现场对接。企业可提前提交技术难题，"
        "由技术经纪人和专家团队现场会诊，会后持续跟进合作进展。",
    ),
    "lecture": (
        "科普墅",
        [
            "AI大模型走进生活：从聊天机器人到智能助手",
            "脑机接口：让意念“动”起来",
            "大运河的水利智慧：船闸、纤道与古代工程",
            "合成生物学：用细胞“制造”未来",
            "量子计算入门：比特与量子比特",
            "北斗导航与我们的日常生活",
            "新能源汽车电池安全知多少",
            "仰望星空：城市里的天文观测",
        ],
        "大运河边的科普墅前沿讲座，由高校和科研院所的专家用通俗的语言讲解科学原理和最新进展，"
        "讲座后设有互动问答环节，欢迎市民朋友报名参加。",
    ),
    "study_trip": (
        "科普墅",
        [
            "运河船闸探秘亲子研学",
            "小小药物研究员：走进生物创新智造中心",
            "半山森林自然科学研学：寻找秋天的种子",
            "未来船长：智能船舶创新中心开放日",
            "运河水质小卫士：采样与检测体验",
            "走进京杭大运河博物院：古代造船术",
        ],
        "科研人员和科普志愿者全程带领，孩子们动手完成研学任务单。适合 8–14 岁孩子与家长"
        "共同参加，每个家庭限报 1 名孩子和 2 名家长，请穿运动鞋、自备饮用水。",
    ),
    "contest": (
        "墅正气",
        [
            "拱墅区青少年科技创新大赛",
            "青少年机器人挑战赛（拱墅赛区）",
            "青少年编程马拉松",
            "杭州市青少年反邪教绘画大赛·作品征集",
            "中小学生科普剧展演",
            "科学实验创意赛",
        ],
        "面向全区中小学生，以小组或个人形式报名。赛前提供规则说明和辅导，"
        "评委会现场评审，获奖作品将在科普墅展出。",
    ),
    "training": (
        "科学传播员培训",
        [
            "科学传播员培训：如何讲好一堂科普课",
            "技术经纪人实务培训：成果评估与定价",
            "科技项目申报实务培训",
            "高新技术企业认定申报辅导班",
            "科普短视频创作培训",
        ],
        "本课程由资深讲师授课，结合案例讲解与分组练习。每家单位限报 2 人，"
        "完成全部课程可获培训证明。",
    ),
    "policy": (
        "政策宣讲",
        [
            "科技型中小企业评价入库政策解读",
            "研发费用加计扣除年度汇算辅导",
            "“1+4+N”产业政策（科技创新篇）解读",
            "高新技术企业认定政策宣讲会",
            "专利转化运用专项政策解读",
            "“530”人才计划申报说明会",
        ],
        "逐条解读政策条款、申报条件和兑现流程，现场设有答疑环节，"
        "建议企业研发和财务负责人一同参加。",
    ),
    "other": (
        "三长交流会",
        [
            "“三长”交流会：科技企业的人才之问",
            "全国科技工作者日主题活动",
            "移动科技馆进社区",
            "科技活动周开幕式",
            "“墅正气”反邪宣传月主场活动",
        ],
        "以圆桌交流、互动展示和有奖问答等形式开展，欢迎社区居民和科技工作者参加。",
    ),
}
KIND_WEIGHTS = {
    "matching": 20,
    "lecture": 25,
    "study_trip": 12,
    "contest": 6,
    "training": 12,
    "policy": 15,
    "other": 10,
}
SLOTS = [((9, 30), (11, 30)), ((14, 0), (16, 30)), ((19, 0), (20, 30))]


def plan_events(streets: list[str], units: list[str], count: int = EVENT_COUNT) -> list[dict]:
    """`count` published events: about two thirds in the past year, one third in 6 months."""
    from events.core.timeutil import TZ

    rng = random.Random(SEED)
    today = datetime.now(TZ).replace(hour=0, minute=0, second=0, microsecond=0)
    created = datetime.now(UTC).replace(microsecond=0) - timedelta(days=400)
    kinds = list(KIND_WEIGHTS)
    weights = [KIND_WEIGHTS[kind] for kind in kinds]
    rows = []
    for number in range(count):
        kind = rng.choices(kinds, weights)[0]
        series, titles, description = TOPICS[kind]
        day = today + timedelta(days=rng.randint(-365, 182))
        (start_h, start_m), (end_h, end_m) = rng.choice(SLOTS)
        starts = day.replace(hour=start_h, minute=start_m)
        ends = day.replace(hour=end_h, minute=end_m)
        if kind == "contest" and rng.random() < 0.3:  # a submission window over weeks
            ends = starts + timedelta(days=rng.randint(14, 40))
        street = rng.choice(streets)
        places = STREET_PLACES.get(street) or [
            (
                f"{street.removesuffix('街道')}社区科普活动中心",
                f"拱墅区{rng.choice(ROADS)} {rng.randint(1, 600)} 号",
            )
        ]
        venue, address = rng.choice(places)
        capacity = rng.choice([30, 40, 50, 60, 80, 100, 150, 200])
        past = ends.astimezone(UTC) < datetime.now(UTC)
        fill = rng.random()
        confirmed = capacity if (past and fill < 0.5) or fill < 0.15 else int(capacity * fill)
        waitlist = rng.random() < 0.7
        opens = starts - timedelta(days=rng.randint(7, 30))
        rows.append(
            {
                "kind": kind,
                "series": series,
                "title": f"{rng.choice(titles)}（第{number // 7 + 1}期）",
                "description": description,
                "venue": venue,
                "address": address,
                "street": street,
                "organizer_unit": rng.choice(units),
                "starts_at": starts.astimezone(UTC),
                "ends_at": ends.astimezone(UTC),
                "capacity": capacity,
                "waitlist": waitlist,
                "max_party_size": 3 if kind == "study_trip" else rng.choice([1, 1, 2]),
                "registration_opens_at": opens.astimezone(UTC),
                "registration_closes_at": (starts - timedelta(hours=2)).astimezone(UTC),
                "status": "published",
                "confirmed": confirmed,
                "waitlisted": rng.randint(0, 10) if confirmed >= capacity and waitlist else 0,
                "created_at": min(opens.astimezone(UTC), created + timedelta(days=number % 30)),
                "updated_at": opens.astimezone(UTC),
            }
        )
    return rows


async def insert_events(url: str) -> int:
    """Insert the events with Piccolo, in one transaction (EVENTS_DATABASE_URL is `url`)."""
    from events.core import db
    from events.core.engines import engine_from_url
    from events.core.kinds import ORGANIZER_UNITS, STREETS
    from events.tables import Event

    engine = engine_from_url(url)
    db.use_engine(engine)
    rows = plan_events(STREETS, ORGANIZER_UNITS)
    async with engine.transaction():
        for start in range(0, len(rows), 100):  # 100 rows x 21 columns per INSERT
            await Event.insert(*(Event(**row) for row in rows[start : start + 100]))
    return await Event.count()


# --- page weight -----------------------------------------------------------------------------


class AssetLinks(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.css: list[str] = []
        self.js: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        if tag == "link" and "stylesheet" in values.get("rel", "").lower().split():
            if values.get("href"):
                self.css.append(values["href"])
        elif tag == "script" and values.get("src"):
            self.js.append(values["src"])


@dataclass
class Weight:
    name: str
    raw: int
    compressed: int
    how: str


def _weigh(name: str, url: str) -> tuple[Weight, bytes]:
    got = fetch(url)
    if got.status != 200:
        raise RuntimeError(f"{url} answered {got.status}")
    if got.headers.get("content-encoding") == "gzip":
        raw = gzip.decompress(got.body)
        return Weight(name, len(raw), len(got.body), "gzip as served"), raw
    compressed = gzip.compress(got.body, compresslevel=6)
    how = "not compressed by server; gzip-6 here"
    return Weight(name, len(got.body), len(compressed), how), got.body


def page_weight(base: str) -> list[Weight]:
    page, html = _weigh("/ (HTML)", base + "/")
    links = AssetLinks()
    links.feed(html.decode("utf-8"))
    weights = [page]
    for kind, hrefs in (("CSS", links.css), ("JS", links.js)):
        for href in hrefs:
            url = urljoin(base + "/", href)
            if urlsplit(url).hostname != HOST:
                weights.append(Weight(f"{href} ({kind}, external: not fetched)", 0, 0, "-"))
                continue
            weights.append(_weigh(f"{urlsplit(url).path} ({kind})", url)[0])
    return weights


# --- report ----------------------------------------------------------------------------------


def report(
    args: argparse.Namespace,
    floor: WrkResult,
    catalogue: WrkResult,
    api: WrkResult,
    weights: list[Weight],
) -> None:
    cores = os.cpu_count()
    print()
    print(
        f"Catalogue benchmark — db={args.db}, {EVENT_COUNT} events, wrk -t{args.threads} "
        f"-c{args.connections} -d{args.duration:g}s (warm-up {args.warmup:g}s), "
        f"1 uvicorn worker, {cores} cores shared by wrk and the server"
    )
    columns = [("endpoint", 28), ("requests/s", 11), ("p50 ms", 9), ("p99 ms", 9)]
    columns += [("vs floor", 9), ("bytes/resp", 11), ("other CPU", 10)]
    print_table(columns, [
        [r.label, f"{r.rps:.0f}", f"{r.p50:.2f}", f"{r.p99:.2f}", f"{r.rps / floor.rps:.1%}",
         f"{r.bytes_per_response or 0:,}", f"{r.cpu['other']:.2f}"]
        for r in (floor, catalogue, api)
    ])  # fmt: skip
    print(
        "(bytes/resp: body as sent with Accept-Encoding: gzip; other CPU: cores used by other "
        "processes during the run)"
    )
    for result in (floor, catalogue, api):
        for error in result.errors:
            print(f"  ! {result.label}: {error}")
    print()
    print("Catalogue page weight (gzip):")
    for weight in weights:
        print(
            f"  {weight.name:<44}{weight.raw:>8,} B raw{weight.compressed:>8,} B gz  {weight.how}"
        )
    total = sum(weight.compressed for weight in weights)
    total_kb = total / 1024
    print(
        f"  {'total HTML + CSS + JS':<44}{'':>15}{total:>8,} B gz = {total_kb:.1f} KB"
        " (1 KB = 1024 B)"
    )
    print()
    ratio = catalogue.rps / floor.rps
    aims = [
        (
            f"catalogue req/s >= {AIM_RATIO:.0%} of floor",
            f"{ratio:.0%} ({catalogue.rps:.0f} / {floor.rps:.0f})",
            ratio >= AIM_RATIO,
        ),
        (
            f"catalogue p99 < {AIM_P99_MS:g} ms",
            f"{catalogue.p99:.2f} ms",
            catalogue.p99 < AIM_P99_MS,
        ),
        (f"HTML+CSS+JS < {AIM_WEIGHT_KB:g} KB gz", f"{total_kb:.1f} KB", total_kb < AIM_WEIGHT_KB),
    ]
    print("Aims (issue 2):")
    for name, value, met in aims:
        print(f"  {name:<36}{value:<28}{'met' if met else 'MISSED'}")


def main(argv: list[str] | None = None) -> int:
    args = parser(__doc__).parse_args(argv)
    with session("catalogue", args.db) as bench:
        count = asyncio.run(insert_events(bench.url))
        print(f"inserted {count} events")

        app = bench.serve_events(workers=1)
        catalogue = measure("GET / (catalogue page)", app, "/", args)
        api = measure("GET /api/v1/events", app, "/api/v1/events", args)
        weights = page_weight(app.base)
        app.stop()

        hello = bench.serve_asgi("hello-world", "hello:app")
        floor = measure("GET / (hello-world floor)", hello, "/", args, uses_db=False)
        hello.stop()

        report(args, floor, catalogue, api, weights)
    return 0


if __name__ == "__main__":
    sys.exit(main())
