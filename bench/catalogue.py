"""Benchmark of the public catalogue (issue 2) against a bare Litestar hello-world.

    .venv/bin/python bench/catalogue.py [--db sqlite|postgres] [--duration 15] [--connections 50]

1. Creates a fresh database (a SQLite file in a temporary folder, or a new PostgreSQL database
   `bench_catalogue_<random>` on postgresql://postgres@127.0.0.1:5432), runs `events migrate`
   on it and inserts 1,000 published events over the past year and the next six months.
2. Starts `events serve --workers 1 --quiet` on a free port and waits for /healthz.
3. Runs wrk (`-t2 -c50 --latency`, `Accept-Encoding: gzip`) against GET /api/v1/events and
   GET / (the catalogue page) after a short warm-up each.
4. Does the same against bench/hello.py served by uvicorn the same way (the framework's floor).
5. Measures the catalogue page's weight: the HTML of / plus the CSS and JS it references,
   gzip-compressed (as served when the server compresses, else gzip level 6 here).
6. Prints a table and the aims; stops every subprocess and drops the database at the end,
   also on an error, Ctrl-C or SIGTERM.

Traffic goes to 127.0.0.1 only. wrk and the server share the machine's cores.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import http.client
import os
import random
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
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
    from events.timeutil import TZ

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
    from events import db
    from events.kinds import ORGANIZER_UNITS, STREETS
    from events.tables import Event

    engine = db.engine_from_url(url)
    db.use_engine(engine)
    rows = plan_events(STREETS, ORGANIZER_UNITS)
    async with engine.transaction():
        for start in range(0, len(rows), 100):  # 100 rows x 21 columns per INSERT
            await Event.insert(*(Event(**row) for row in rows[start : start + 100]))
    return await Event.count()


# --- databases -------------------------------------------------------------------------------


async def _pg_admin(sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(PG_ADMIN_URL, timeout=10)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def create_database(kind: str, folder: Path, cleanup: contextlib.ExitStack) -> str:
    if kind == "sqlite":
        return f"sqlite:///{folder / 'bench.sqlite3'}"  # sqlite:////tmp/... (absolute path)
    name = f"bench_catalogue_{secrets.token_hex(4)}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    cleanup.callback(drop_database, name)
    parts = urlsplit(PG_ADMIN_URL)
    return f"{parts.scheme}://{parts.netloc}/{name}"


def drop_database(name: str) -> None:
    try:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        print(f"dropped database {name}")
    except Exception as error:  # cleanup must not hide the original error
        print(f"warning: could not drop database {name}: {error}", file=sys.stderr)


# --- servers ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    port: int
    log: Path
    ready_path: str = "/"

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    self.process.kill()
                self.process.wait(timeout=5)


def start_server(
    name: str, argv: list[str], env: dict, folder: Path, port: int, ready_path: str
) -> Server:
    log = folder / f"{name}.log"
    with log.open("wb") as handle:
        process = subprocess.Popen(
            argv,
            env=env,
            cwd=ROOT,
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches this script only; it stops the server
        )
    server = Server(name, process, port, log, ready_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{log.read_text()}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            if fetch(server.base + ready_path).status == 200:
                return server
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"{name} did not answer {ready_path} within 60 s:\n{log.read_text()}")


@dataclass
class Fetched:
    status: int
    headers: dict[str, str]
    body: bytes  # as sent on the wire (still gzip-compressed when Content-Encoding is gzip)


def fetch(url: str, gzip_ok: bool = True) -> Fetched:
    parts = urlsplit(url)
    assert parts.hostname == HOST
    connection = http.client.HTTPConnection(HOST, parts.port, timeout=10)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request("GET", path, headers={"Accept-Encoding": "gzip"} if gzip_ok else {})
        response = connection.getresponse()
        body = response.read()
        headers = {key.lower(): value for key, value in response.getheaders()}
        return Fetched(response.status, headers, body)
    finally:
        connection.close()


# --- machine load ----------------------------------------------------------------------------
# Other work on the machine (tests, browsers) skews a benchmark on 2 cores: measure it. "Foreign"
# CPU is the machine's busy time minus the server's and wrk's own, in cores.

TICK = os.sysconf("SC_CLK_TCK")


def _busy_seconds() -> float:
    with open("/proc/stat") as handle:
        values = [int(value) for value in handle.readline().split()[1:9]]
    idle, iowait = values[3], values[4]
    return (sum(values) - idle - iowait) / TICK


def _process_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def _postgres_seconds() -> float:
    """CPU of every `postgres` process (the server is part of what is measured on PostgreSQL)."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as handle:
                head, _, rest = handle.read().rpartition(")")
        except OSError:
            continue
        if head.endswith("(postgres"):
            fields = rest.split()
            total += int(fields[11]) + int(fields[12])
    return total / TICK


def _children_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class CpuSample:
    at: float
    busy: float
    server: float
    children: float
    postgres: float

    @classmethod
    def take(cls, pid: int) -> CpuSample:
        return cls(
            time.monotonic(),
            _busy_seconds(),
            _process_seconds(pid),
            _children_seconds(),
            _postgres_seconds(),
        )

    def since(self, start: CpuSample, with_postgres: bool) -> dict[str, float]:
        """Cores used between `start` and this sample: server, wrk, postgres, other processes.

        With `with_postgres` the PostgreSQL server counts as part of the system under test;
        otherwise its CPU is some other process's.
        """
        wall = max(self.at - start.at, 1e-6)
        used = {
            "server": (self.server - start.server) / wall,
            "wrk": (self.children - start.children) / wall,
            "postgres": (self.postgres - start.postgres) / wall if with_postgres else 0.0,
        }
        busy = (self.busy - start.busy) / wall
        used["other"] = max(busy - sum(used.values()), 0.0)
        return used


def wait_for_quiet(pid: int, args: argparse.Namespace) -> float:
    """Wait (at most --quiet-wait s) until other processes use < --quiet-cores; return usage."""
    deadline = time.monotonic() + args.quiet_wait
    while True:
        start = CpuSample.take(pid)
        time.sleep(1.0)
        foreign = CpuSample.take(pid).since(start, with_postgres=False)["other"]
        if foreign < args.quiet_cores or time.monotonic() >= deadline:
            if foreign >= args.quiet_cores:
                print(f"  (machine still busy: {foreign:.2f} cores used by other processes)")
            return foreign


# --- wrk -------------------------------------------------------------------------------------

UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass
class WrkResult:
    label: str
    url: str
    rps: float
    p50: float
    p99: float
    requests: int
    errors: list[str] = field(default_factory=list)
    bytes_per_response: int | None = None
    cpu: dict[str, float] = field(default_factory=dict)  # cores: server, wrk, postgres, other


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        raise ValueError(f"unexpected wrk latency {text!r}")
    return float(match.group(1)) * UNITS_MS[match.group(2)]


def parse_wrk(output: str, label: str, url: str) -> WrkResult:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    total = re.search(r"(\d+) requests in", output)
    if not (rps and p50 and p99 and total):
        raise RuntimeError(f"could not parse wrk output:\n{output}")
    errors = []
    for pattern in (r"Socket errors:.*", r"Non-2xx or 3xx responses:.*"):
        found = re.search(pattern, output)
        if found:
            errors.append(found.group(0).strip())
    return WrkResult(
        label, url, float(rps.group(1)), _ms(p50.group(1)), _ms(p99.group(1)),
        int(total.group(1)), errors,
    )  # fmt: skip


def run_wrk(url: str, args: argparse.Namespace, duration: float) -> str:
    argv = [
        args.wrk,
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{duration:g}s",
        "--timeout",
        f"{args.timeout:g}s",
        "--latency",
        "-H",
        "Accept-Encoding: gzip",
        url,
    ]
    done = subprocess.run(
        argv, capture_output=True, text=True, timeout=duration + 60, check=True
    )  # bounded: wrk stops after `duration`, the timeout catches a hang
    return done.stdout


def bench(
    label: str, server: Server, path: str, args: argparse.Namespace, uses_db: bool = True
) -> WrkResult:
    url = server.base + path
    first = fetch(url)
    if first.status != 200:
        raise RuntimeError(f"{url} answered {first.status}: {first.body[:300]!r}")
    wait_for_quiet(server.process.pid, args)
    if args.warmup > 0:
        run_wrk(url, args, args.warmup)
    start = CpuSample.take(server.process.pid)
    output = run_wrk(url, args, args.duration)
    cpu = CpuSample.take(server.process.pid).since(
        start, with_postgres=uses_db and args.db == "postgres"
    )
    if args.verbose:
        print(output)
    result = parse_wrk(output, label, url)
    result.bytes_per_response = len(first.body)
    result.cpu = cpu
    encoding = first.headers.get("content-encoding", "identity")
    print(
        f"  {label:<28} {result.rps:>9.0f} req/s  p50 {result.p50:6.2f} ms  "
        f"p99 {result.p99:6.2f} ms  ({len(first.body):,} B {encoding}; CPU cores: "
        + ", ".join(f"{name} {value:.2f}" for name, value in cpu.items())
        + ")",
        flush=True,
    )
    drain(server)
    return result


def drain(server: Server) -> None:
    """Wait until the server has answered what wrk left in flight (bounded)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        began = time.monotonic()
        with contextlib.suppress(OSError, http.client.HTTPException):
            fetch(server.base + server.ready_path)
        if time.monotonic() - began < 0.05:
            return
        time.sleep(0.2)


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
    return Weight(name, len(got.body), len(compressed), "not compressed by server; gzip-6 here"), (
        got.body
    )


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
    results: list[WrkResult],
    floor: WrkResult,
    catalogue: WrkResult,
    weights: list[Weight],
) -> None:
    cores = os.cpu_count()
    print()
    print(
        f"Catalogue benchmark — db={args.db}, {EVENT_COUNT} events, wrk -t{args.threads} "
        f"-c{args.connections} -d{args.duration:g}s (warm-up {args.warmup:g}s), "
        f"1 uvicorn worker, {cores} cores shared by wrk and the server"
    )
    header = (
        f"{'endpoint':<28}{'requests/s':>11}{'p50 ms':>9}{'p99 ms':>9}{'vs floor':>9}"
        f"{'bytes/resp':>11}{'other CPU':>10}"
    )
    print(header)
    print("-" * len(header))
    for result in results:
        print(
            f"{result.label:<28}{result.rps:>11.0f}{result.p50:>9.2f}{result.p99:>9.2f}"
            f"{result.rps / floor.rps:>9.1%}{result.bytes_per_response or 0:>11,}"
            f"{result.cpu['other']:>10.2f}"
        )
    print(
        "(bytes/resp: body as sent with Accept-Encoding: gzip; other CPU: cores used by other "
        "processes during the run)"
    )
    for result in results:
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
        (
            f"HTML+CSS+JS < {AIM_WEIGHT_KB:g} KB gz",
            f"{total_kb:.1f} KB",
            total_kb < AIM_WEIGHT_KB,
        ),
    ]
    print("Aims (issue 2):")
    for name, value, met in aims:
        print(f"  {name:<36}{value:<28}{'met' if met else 'MISSED'}")


# --- main ------------------------------------------------------------------------------------


def _terminate(signum, _frame):
    raise SystemExit(128 + signum)  # unwinds through the cleanup below


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--duration", type=float, default=15, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of wrk before each run")
    parser.add_argument(
        "--timeout", type=float, default=10,
        help="wrk's request timeout in s (wrk leaves timed-out requests out of its latencies)",
    )  # fmt: skip
    parser.add_argument("--wrk", default=shutil.which("wrk") or "/usr/bin/wrk")
    parser.add_argument(
        "--quiet-wait", type=float, default=60,
        help="before each run, wait up to this many seconds for other processes to go quiet",
    )  # fmt: skip
    parser.add_argument("--quiet-cores", type=float, default=0.2)
    parser.add_argument("--verbose", action="store_true", help="print wrk's own output")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    with contextlib.ExitStack() as cleanup:
        folder = Path(tempfile.mkdtemp(prefix="bench_catalogue_"))
        cleanup.callback(shutil.rmtree, folder, ignore_errors=True)
        url = create_database(args.db, folder, cleanup)
        env = {
            **os.environ,
            "EVENTS_DATABASE_URL": url,
            "EVENTS_SECRET_KEY": secrets.token_urlsafe(32),
            "EVENTS_DATA_DIR": str(folder),
        }
        # This process imports `events` to insert the rows: point it at the bench database
        # before the import (events.piccolo_conf builds its engine from the environment).
        os.environ.update({key: env[key] for key in ("EVENTS_DATABASE_URL", "EVENTS_SECRET_KEY")})
        os.environ["EVENTS_DATA_DIR"] = str(folder)

        print(f"database: {url}")
        subprocess.run(
            [str(BIN / "events"), "migrate"], env=env, cwd=ROOT, check=True, timeout=120,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        count = asyncio.run(insert_events(url))
        print(f"inserted {count} events")

        port = free_port()
        app = start_server(
            "events",
            [str(BIN / "events"), "serve", "--workers", "1", "--quiet", "--port", str(port)],
            env, folder, port, "/healthz",
        )  # fmt: skip
        cleanup.callback(app.stop)
        print(f"events serve on {app.base} (pid {app.process.pid})")
        catalogue = bench("GET / (catalogue page)", app, "/", args)
        api = bench("GET /api/v1/events", app, "/api/v1/events", args)
        weights = page_weight(app.base)
        app.stop()

        port = free_port()
        hello = start_server(
            "hello",
            [
                sys.executable, "-m", "uvicorn", "hello:app", "--app-dir", str(BENCH),
                "--host", HOST, "--port", str(port),
                "--log-level", "warning", "--no-access-log", "--proxy-headers",
            ],
            env, folder, port, "/",
        )  # fmt: skip
        cleanup.callback(hello.stop)
        print(f"hello-world on {hello.base} (pid {hello.process.pid})")
        floor = bench("GET / (hello-world floor)", hello, "/", args, uses_db=False)
        hello.stop()

        report(args, [floor, catalogue, api], floor, catalogue, weights)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted; cleaned up", file=sys.stderr)
        sys.exit(130)
