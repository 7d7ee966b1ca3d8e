"""Demo registrations: the state of every demo event's registrations at the demo moment.

Residents have common Chinese names, mainland mobile numbers and (most) a company; the pool is
the same for a given year, so regulars appear at several events, but each phone at most once
per event. `for_event` is pure and seeded by the event, so a reload builds the same rows.
Past events are 60–100 % booked with a few cancellations and most people checked in; popular
upcoming lectures (and study trips) are full with a waitlist; other open events are partly
booked. `add` inserts them in bulk inside the caller's write transaction and then sets each
event's counters from its rows, so counters and rows are equal by construction.
"""

from __future__ import annotations

import random
import secrets
from datetime import datetime, timedelta

from events.core.timeutil import local
from events.tables import CheckinScan, Event, Question, Registration, StaffUser

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵钱"
)
GIVEN = (
    "伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 涛 明 超 霞 平 刚 婷"
    " 秀英 建国 建华 国强 志强 海燕 丽华 春燕 立新 晓东 晓燕 文博 俊杰"
    " 雪梅 嘉怡 明轩 诗涵 天佑 若曦 宇航 晨曦 静怡 国华 子涵 浩然 欣怡"
    " 梓轩 雨桐 思远 佳琪 一鸣 梦瑶 子墨 语桐 浩宇 亦凡 可馨 书瑶 宏伟"
    " 振华 永刚 淑芬 桂兰 玉梅 红霞 伟东 海峰 晓峰 家豪 慧敏 凯文 佳怡"
    " 志远 晨阳 舒婷 沐阳 逸飞 安琪 一诺 泽宇 锦程 煜城 瑾萱"
).split()
FIRMS = (
    "运河 拱宸 祥符 和睦 半山 湖墅 数智 云帆 星辰 之江 钱塘 聚能 创源 博远"
    " 新禾 微芯 恒泰 启明 瑞科 华澜 中晟 智远 汇川 蓝海 清源 众合 凌云 鼎信"
    " 科睿 安康 北软 上塘 康桥 大关 拱墅 金沙 西溪 良渚 文晖 潮鸣"
).split()
TRADES = (
    "科技 生物医药 智能装备 信息技术 新材料 医疗器械 数据科技 船舶科技"
    " 网络科技 检测技术 算力科技 环境科技"
).split()
PREFIXES = (
    "130 131 132 133 135 136 137 138 139 150 151 152 153 155 156 157 158 159 166 173 176 177"
    " 180 181 182 183 185 186 187 188 189 191 198 199"
).split()
POOL_SIZE = 2400
CHUNK = 400  # rows per INSERT: 400 x 21 columns, well inside both engines' parameter limits
# Custom questions of the demo: (kind of event, label, required, answers to draw from).
QUESTIONS = {
    "matching": (
        "希望对接的技术方向",
        False,
        "人工智能大模型应用 生物医药中试 新材料 智能制造 算力服务 数字医疗 成果评估".split(),
    ),
    # not required: a family may come with no child (0 children is allowed)
    "study_trip": ("孩子年龄（多个孩子时选最小的）", False, [f"{age} 岁" for age in range(6, 13)]),
}
POPULAR = ("lecture", "study_trip")
PARTIES = {1: ((1,), (1,)), 2: ((1, 2), (6, 4)), 3: ((1, 2, 3), (5, 4, 2))}


def people(year: int) -> list[dict[str, str]]:
    """The year's residents: name, a unique mobile number, a company (70 %) and an e-mail."""
    rng = random.Random(year * 104_729 + 17)
    weights = [1 / (rank + 8) for rank in range(len(SURNAMES))]  # common surnames first
    firms = [f"杭州{firm}{trade}有限公司" for firm in FIRMS for trade in TRADES]
    rng.shuffle(firms)
    firms = firms[:160]
    phones: set[str] = set()
    pool = []
    while len(pool) < POOL_SIZE:
        phone = rng.choice(PREFIXES) + f"{rng.randrange(10**8):08d}"
        if phone in phones:
            continue
        phones.add(phone)
        name = rng.choices(SURNAMES, weights)[0] + rng.choice(GIVEN)
        company = rng.choice(firms) if rng.random() < 0.7 else ""
        email = f"{rng.randrange(10**7, 10**10)}@qq.com" if rng.random() < 0.25 else ""
        pool.append({"name": name, "phone": phone, "company": company, "email": email})
    return pool


def _times(rng: random.Random, start: datetime, end: datetime, n: int, rush: bool) -> list:
    """`n` sorted moments in [start, end); a rush crowds them at the opening. Residents sleep:
    a moment before 7:00 (Shanghai) moves to the morning."""
    span = max((end - start).total_seconds(), 60.0)
    shares = sorted(rng.random() ** (3 if rush else 1) for _ in range(n))
    moments = [start + timedelta(seconds=int(span * share)) for share in shares]
    moments = [min(m + timedelta(hours=7.5), end) if local(m).hour < 7 else m for m in moments]
    return sorted(moments)


def _party(rng: random.Random, event: dict, limit: int) -> tuple[int, int]:
    """(adults, children): a family splits its party; others count adults only."""
    if event["family"]:
        adults, children = rng.choice(((1, 1), (1, 1), (1, 2), (2, 1)))
        adults = min(adults, limit)
        return adults, max(min(children, limit - adults), 0)
    sizes, weights = PARTIES[min(event["max_party_size"], 3)]
    return min(rng.choices(sizes, weights)[0], limit), 0


def _plan(event: dict, at: datetime) -> tuple[float, int, float]:
    """(share of the seats booked, waitlist length, share of cancellations) at `at`."""
    rng = random.Random(f"{event['title']}|{event['starts_at'].isoformat()}")
    opens = event["registration_opens_at"]
    closes = event["registration_closes_at"] or event["ends_at"]
    if event["status"] == "draft" or (opens and opens > at):
        return 0.0, 0, 0.0
    if event["status"] == "cancelled":
        return rng.uniform(0.2, 0.5), 0, 1.0
    if closes <= at:  # registration is over: the final state
        full = rng.random() < 0.3 or event["kind"] in POPULAR
        waiting = rng.randint(1, 8) if full and event["waitlist"] else 0
        return (1.0 if full else rng.uniform(0.6, 0.97)), waiting, rng.uniform(0.03, 0.1)
    if event["kind"] in POPULAR:
        return 1.0, rng.randint(5, 30 if event["kind"] == "lecture" else 12), 0.05
    elapsed = (at - opens).total_seconds() / max((closes - opens).total_seconds(), 1)
    return min(0.15 + 0.75 * elapsed, 0.9) * rng.uniform(0.7, 1.0), 0, 0.04


def for_event(event: dict, at: datetime, pool: list[dict], question: int | None) -> list[dict]:
    """The registration rows of one event (without ids), in sequence order."""
    share, waiting, cancel_rate = _plan(event, at)
    if share == 0:
        return []
    rng = random.Random(f"{event['title']}|{event['starts_at'].isoformat()}|rows")
    wants_company = event["ask_company"]
    people_left = [p for p in pool if p["company"]] if wants_company else list(pool)
    rng.shuffle(people_left)
    seats, booked, slots = event["capacity"], 0, []
    target = max(1, round(seats * share))
    while booked < target and people_left:
        if rng.random() < cancel_rate:  # registered, later cancelled (self)
            slots.append(("cancelled", _party(rng, event, event["max_party_size"])))
        adults, children = _party(rng, event, min(event["max_party_size"], target - booked))
        slots.append(("confirmed", (adults, children)))
        booked += adults + children
    slots += [("waitlisted", _party(rng, event, event["max_party_size"])) for _ in range(waiting)]
    if event["status"] == "cancelled":
        slots = [("cancelled", party) for _, party in slots]
    slots = slots[: len(people_left)]
    opens = event["registration_opens_at"] or event["created_at"]
    until = min(event["registration_closes_at"] or event["ends_at"], at)
    moments = _times(rng, opens, until, len(slots), event["kind"] in POPULAR)
    _label, required, answers = QUESTIONS.get(event["kind"], ("", False, []))
    rows = []
    for seq, ((status, (adults, children)), person, moment) in enumerate(
        zip(slots, people_left, moments, strict=False), start=1
    ):
        row = {
            **person,
            "event": event["id"],
            "status": status,
            "seq": seq,
            "adults": adults,
            "children": children,
            "party_size": adults + children,
            "company": person["company"] if wants_company else "",
            "answers": {str(question): rng.choice(answers)}
            if question and (required or rng.random() < 0.6)
            else {},
            "ticket_token": secrets.token_urlsafe(24),
            "source": "web" if rng.random() < 0.97 else "organizer",
            "created_at": moment,
            "confirmed_at": moment if status == "confirmed" else None,
            "cancelled_at": None,
            "cancelled_by": "",
            "checked_in_at": None,
        }
        if status == "cancelled":
            if event["status"] == "cancelled":
                row.update(cancelled_by="event", cancelled_at=max(event["updated_at"], moment))
            else:
                row.update(cancelled_by="self", cancelled_at=moment + (until - moment) * 0.5)
        elif status == "confirmed" and event["ends_at"] <= at and rng.random() < 0.88:
            arrived = event["starts_at"] - timedelta(minutes=rng.randint(-25, 20))
            # never before the registration itself (a contest collects entries for weeks)
            later = moment + timedelta(minutes=rng.randint(1, 30))
            row["checked_in_at"] = min(max(arrived, later), event["ends_at"])
        rows.append(row)
    return rows


async def _add_questions(events: list[dict]) -> dict[int, int]:
    """The demo question of each event of a kind that has one: {event id: question id}."""
    wanted = [event for event in events if event["kind"] in QUESTIONS]
    if not wanted:
        return {}
    ids = [event["id"] for event in wanted]
    have = await Question.select(Question.event).where(Question.event.is_in(ids))
    skip = {row["event"] for row in have}
    new = [
        Question(event=e["id"], label=QUESTIONS[e["kind"]][0], required=QUESTIONS[e["kind"]][1])
        for e in wanted
        if e["id"] not in skip
    ]
    for start in range(0, len(new), CHUNK):
        await Question.insert(*new[start : start + CHUNK])
    rows = await Question.select(Question.id, Question.event).where(Question.event.is_in(ids))
    return {row["event"]: row["id"] for row in rows if row["event"] not in skip}


async def add(events: list[dict], plan_rows: list[dict], at: datetime, year: int) -> int:
    """Registrations for `events` (database rows of the demo plan) that have none yet.

    `plan_rows` are the matching planned rows (same order), whose flags the events take.
    Call inside the write transaction of `demo.load`. Returns how many rows were added.
    """
    ids = [event["id"] for event in events]
    if not ids:
        return 0
    busy = await Registration.select(Registration.event).where(Registration.event.is_in(ids))
    taken = {row["event"] for row in busy}
    fresh = [(e, p) for e, p in zip(events, plan_rows, strict=True) if e["id"] not in taken]
    if not fresh:
        return 0
    for flag in ("family", "ask_company"):
        flagged = [e["id"] for e, p in fresh if p.get(flag) and not e[flag]]
        if flagged:
            await Event.update({flag: True}).where(Event.id.is_in(flagged))
    events = [{**e, **{k: bool(p.get(k)) for k in ("family", "ask_company")}} for e, p in fresh]
    questions = await _add_questions(events)
    pool = people(year)
    rows = [row for e in events for row in for_event(e, at, pool, questions.get(e["id"]))]
    for start in range(0, len(rows), CHUNK):
        await Registration.insert(*(Registration(**row) for row in rows[start : start + CHUNK]))
    await _recount([e["id"] for e in events])
    await _add_scans([e["id"] for e in events])
    return len(rows)


DEVICES = ("前台-1号机", "前台-2号机", "签到平板")
# How the demo check-ins were made, with weights: mostly the camera.
METHODS = (("scan", 80), ("code", 8), ("paper", 7), ("walk_in", 5))


async def _add_scans(ids: list[int]) -> None:
    """The door's log for the demo check-ins: one `ok` scan per checked-in registration at its
    time, plus a few duplicate and invalid scans per event, as staff phones would leave them."""
    checked = await Registration.raw(
        "SELECT id, event, checked_in_at, created_at FROM registration"
        " WHERE checked_in_at IS NOT NULL AND event IN ("
        + ", ".join(str(int(i)) for i in ids)
        + ") ORDER BY event, checked_in_at, id"
    )
    if not checked:
        return
    staff = await StaffUser.select(StaffUser.id).where(StaffUser.username == "staff").first()
    staff_id = staff["id"] if staff else None
    methods, weights = zip(*METHODS, strict=True)
    scans = []
    for row in checked:
        rng = random.Random(f"scan|{row['id']}")
        event, person, at = row["event"], row["id"], row["checked_in_at"]
        method = rng.choices(methods, weights)[0]
        scans.append(_scan(event, person, method, "ok", rng.choice(DEVICES), staff_id, at))
        if rng.random() < 0.04:  # shown twice: the second scan answers 已签到
            later = at + timedelta(seconds=rng.randint(5, 600))
            scans.append(
                _scan(event, person, "scan", "duplicate", rng.choice(DEVICES), staff_id, later)
            )
        if rng.random() < 0.015:  # a screenshot of someone else's ticket, a blurred code...
            later = at + timedelta(seconds=rng.randint(1, 60))
            scans.append(
                _scan(event, None, "scan", "invalid", rng.choice(DEVICES), staff_id, later)
            )
    for start in range(0, len(scans), CHUNK):
        await CheckinScan.insert(*(CheckinScan(**scan) for scan in scans[start : start + CHUNK]))


def _scan(event, registration, method, result, device, staff_id, at) -> dict:
    """A checkin_scan row; paper sheets are entered the day after, from the desk."""
    paper = method == "paper"
    return {
        "event": event,
        "registration": registration,
        "staff": staff_id,
        "device": "paper" if paper else device,
        "nonce": None,
        "method": method,
        "result": result,
        "response": {},
        "scanned_at": at,
        "recorded_at": at + timedelta(days=1) if paper else at,
    }


async def _recount(ids: list[int]) -> None:
    """Each event's counters from its rows (see `registration.recount_events`)."""
    from events.registration.registration import recount_events

    await recount_events(ids)
