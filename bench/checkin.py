"""Check-in at the door (issue 4): a steady stream of scans, and offline verification in a browser.

    .venv/bin/python bench/checkin.py [--db postgres|sqlite] [--rate 300] [--seconds 30]
        [--connections 16] [--tickets 4000] [--workers 2] [--no-browser] [--verify-count 500]

1. A fresh database (harness.session), `events migrate`, two published events starting in
   an hour: the door event with --tickets confirmed registrations (inserted with Piccolo,
   each ticket signed with the event's key by events.door.tickets, as the ticket page does) and a
   second event with a few hundred (its tickets are "wrong event" at this door). A staff
   user; ANALYZE (as autovacuum would have done in service); a bearer token from
   POST /api/v1/auth/login.
2. `events serve --workers 2 --quiet`; once other processes use < 0.2 core, scans arrive at
   a fixed --rate for --seconds (open loop: scan i is due at start + i / rate, whatever the
   server's speed, so a slow server shows as latency, not as a lower rate). Each scan is a
   `POST /api/v1/checkins` with a fresh nonce over one of --connections keep-alive
   connections. The mix of a real door: 70% first scans of a ticket, 15% a ticket shown
   again (duplicate), 10% garbage (other QR codes, truncated or altered payloads), 5% a
   ticket of the other event. Latency counts from the moment the scan was due (so queueing
   behind a slow answer is included); p50/p99 over all scans; rate = answered / seconds.
3. Checks, from the answers and the database: every answer 200 and its result the one
   expected for its scan; exactly one `ok` per ticket scanned; `registration.checked_in_at`
   set for exactly those; one `checkin_scan` row per scan.
4. Unless --no-browser: headless Chromium (Debian's, Playwright) logs in as the staff user,
   opens the scanner page for the event (which downloads the event's public key and lists),
   goes offline (`context.set_offline(True)`), and times `window.CanalScanner.verifyTicket()`
   (Ed25519 signature check in the browser: WebCrypto, or @noble/ed25519 where WebCrypto
   lacks Ed25519) over --verify-count genuine tickets and as many altered ones; prints the
   time per scan (p50/p99/mean, performance.now() in the page).

Traffic goes to 127.0.0.1 only; the load generator, the server and PostgreSQL share the cores.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import secrets
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from harness import HOST, cores_used, cpu_clock, session, wait_for_quiet
from rushload import _connect, _read_response, percentile

STAFF_PASSWORD = "bench-door-password"


def options(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--rate", type=float, default=300, help="scans per second")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--tickets", type=int, default=7000, help="confirmed at the door event")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--verify-count", type=int, default=500)
    parser.add_argument(
        "--verify-engine",
        choices=["webcrypto", "noble"],
        default="webcrypto",
        help="noble: the page's @noble/ed25519 fallback (?verify=noble)",
    )
    parser.add_argument("--quiet-wait", type=float, default=60)
    parser.add_argument("--quiet-cores", type=float, default=0.2)
    return parser.parse_args(argv)


async def prepare(url: str, tickets: int) -> dict:
    """Events, registrations, signed QR texts and a staff user; Piccolo straight to the DB."""
    from events.accounts import accounts
    from events.core import db
    from events.core.engines import engine_from_url
    from events.door import tickets as signing
    from events.tables import Event, Registration

    db.use_engine(engine_from_url(url))
    await db.open_pool()
    try:
        moment = datetime.now(UTC).replace(microsecond=0)
        starts = moment + timedelta(hours=1)
        ids = {}
        for name, size in (("door", tickets), ("other", 300)):
            rows = await Event.insert(
                Event(
                    title=f"签到压测（{name}）",
                    kind="lecture",
                    series="科普墅",
                    venue="运河科普会客厅",
                    address="拱墅区小河直街 36 号",
                    street="小河街道",
                    starts_at=starts,
                    ends_at=starts + timedelta(hours=2),
                    capacity=size,
                    confirmed=size,
                    registration_seq=size,
                    waitlist=True,
                    max_party_size=4,
                    status="published",
                )
            ).returning(Event.id)
            ids[name] = rows[0]["id"]
            batch = [
                Registration(
                    event=ids[name],
                    name=f"观众{number}",
                    phone=f"13{number + 1:09d}",
                    party_size=1 + number % 3,
                    adults=1 + number % 3,
                    children=0,
                    status="confirmed",
                    seq=number + 1,
                    ticket_token=secrets.token_urlsafe(24),
                    source="web",
                    created_at=moment,
                    confirmed_at=moment,
                )
                for number in range(size)
            ]
            for start in range(0, size, 500):
                await Registration.insert(*batch[start : start + 500])
        qrs = {}
        for name, event_id in ids.items():
            rows = await Registration.select(Registration.id).where(Registration.event == event_id)
            qrs[name] = [
                signing.qr_text("http://bench.local", await signing.sign(event_id, row["id"]))
                for row in rows
            ]
        staff = await accounts.create_user("bench-door", "staff", STAFF_PASSWORD)
        # A database in service has statistics (autovacuum); rows bulk-inserted a moment ago
        # have none, and PostgreSQL then picks a poor index for the check-in UPDATE.
        await Event.raw("ANALYZE")
        return {"ids": ids, "qrs": qrs, "staff": staff}
    finally:
        await db.close_pool()


def garbage(qrs: list[str], rng: random.Random) -> str:
    """Something that is not a genuine ticket: other codes, cut or altered payloads."""
    qr = rng.choice(qrs)
    payload = qr.rsplit("/c/", 1)[1]
    raw = bytearray(base64.urlsafe_b64decode(payload + "=="))
    raw[rng.randrange(len(raw))] ^= 1 << rng.randrange(8)
    altered = qr.replace(payload, base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode())
    return rng.choice(
        [
            "https://weixin.qq.com/r/" + secrets.token_urlsafe(16),
            "http://example.com/c/" + secrets.token_urlsafe(40),
            qr[:-3],
            qr + "AAAA",
            altered,
            "'; DROP TABLE registration; --",
            "",
        ]
    )


@dataclass
class Plan:
    bodies: list[bytes] = field(default_factory=list)
    expected: list[str] = field(default_factory=list)
    first_scans: int = 0


def plan(count: int, event_id: int, qrs: dict, rng: random.Random) -> Plan:
    """The scans in order, each with the result it must get."""
    door = list(qrs["door"])
    rng.shuffle(door)
    done: list[str] = []
    result = Plan()
    for _ in range(count):
        draw = rng.random()
        if draw < 0.70 and door:
            qr, expected = door.pop(), "ok"
            done.append(qr)
        elif draw < 0.85 and len(done) > 100:
            # shown again a while later (not while its first scan may still be in flight)
            qr, expected = rng.choice(done[:-100]), "duplicate"
        elif draw < 0.95:
            qr, expected = garbage(qrs["door"], rng), "invalid"
        else:
            qr, expected = rng.choice(qrs["other"]), "wrong_event"
        body = {"event_id": event_id, "qr": qr, "nonce": secrets.token_hex(12), "device": "bench"}
        result.bodies.append(json.dumps(body).encode())
        result.expected.append(expected)
    result.first_scans = len(done)
    return result


def requests(port: int, token: str, bodies: list[bytes]) -> list[bytes]:
    head = (
        f"POST /api/v1/checkins HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
    )
    return [f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body for body in bodies]


@dataclass
class Answers:
    seconds: float
    statuses: list[int]
    latencies: list[float]  # from when the scan was due
    bodies: list[bytes]


async def steady(port: int, wire: list[bytes], rate: float, connections: int) -> Answers:
    """Send wire[i] at start + i / rate over a pool of keep-alive connections."""
    count = len(wire)
    statuses, latencies, bodies = [0] * count, [0.0] * count, [b""] * count
    pool: asyncio.Queue = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(await _connect(port))
    start = time.perf_counter() + 0.2

    async def one(number: int, due: float) -> None:
        reader, writer = await pool.get()
        try:
            writer.write(wire[number])
            statuses[number], bodies[number] = await asyncio.wait_for(_read_response(reader), 30)
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError):
            writer.close()
            reader, writer = await _connect(port)
        finally:
            latencies[number] = time.perf_counter() - due
            pool.put_nowait((reader, writer))

    tasks = []
    for number in range(count):
        due = start + number / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(one(number, due)))
    await asyncio.gather(*tasks)
    seconds = time.perf_counter() - start
    while not pool.empty():
        pool.get_nowait()[1].close()
    return Answers(seconds, statuses, latencies, bodies)


async def login(port: int) -> str:
    body = json.dumps({"username": "bench-door", "password": STAFF_PASSWORD}).encode()
    reader, writer = await _connect(port)
    writer.write(
        f"POST /api/v1/auth/login HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    status, answer = await _read_response(reader)
    writer.close()
    assert status == 200, (status, answer)
    return json.loads(answer)["token"]


async def database_checks(url: str, event_id: int, scans: int, first_scans: int) -> list:
    from events.core import db
    from events.core.engines import engine_from_url
    from events.tables import CheckinScan, Registration

    db.use_engine(engine_from_url(url))
    await db.open_pool()
    try:
        checked = await Registration.count().where(
            (Registration.event == event_id) & Registration.checked_in_at.is_not_null()
        )
        logged = await CheckinScan.count()
        oks = await CheckinScan.count().where(CheckinScan.result == "ok")
    finally:
        await db.close_pool()
    return [
        ("checked in at the door event = first scans", checked == first_scans, checked),
        ("one checkin_scan row per scan", logged == scans, logged),
        ("one ok per ticket in the log", oks == first_scans, oks),
    ]


def browser_timing(
    base: str, event_id: int, qrs: list[str], count: int, engine: str = "webcrypto"
) -> dict | None:
    """Time window.CanalScanner.verifyTicket() in headless Chromium, offline."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("browser timing skipped: playwright not installed")
        return None
    if not os.path.exists("/usr/bin/chromium"):
        print("browser timing skipped: /usr/bin/chromium missing")
        return None
    rng = random.Random(7)
    genuine = rng.sample(qrs, min(count, len(qrs)))
    altered = []
    for qr in genuine:
        payload = qr.rsplit("/c/", 1)[1]
        raw = bytearray(base64.urlsafe_b64decode(payload + "=="))
        raw[-1 - rng.randrange(64)] ^= 1
        altered.append(
            qr.replace(payload, base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode())
        )
    with sync_playwright() as play:
        browser = play.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(viewport={"width": 360, "height": 780}, locale="zh-CN")
        page = context.new_page()
        page.goto(f"{base}/login?next=/checkin/{event_id}")
        page.fill("input[name=username]", "bench-door")
        page.fill("input[name=password]", STAFF_PASSWORD)
        page.click("button[type=submit]")
        page.goto(f"{base}/checkin/{event_id}" + ("?verify=noble" if engine == "noble" else ""))
        page.wait_for_function(
            "window.CanalScanner && window.CanalScanner.verifyTicket", timeout=20000
        )
        page.wait_for_timeout(1500)  # the event's key and lists arrive
        context.set_offline(True)
        timing = page.evaluate(
            """async ([genuine, altered]) => {
                const scanner = window.CanalScanner;
                const times = [], wrong = [];
                for (let i = 0; i < genuine.length; i++) {
                    for (const [text, expect] of [[genuine[i], true], [altered[i], false]]) {
                        const began = performance.now();
                        const answer = await scanner.verifyTicket(text);
                        times.push(performance.now() - began);
                        if (Boolean(answer && answer.valid) !== expect) wrong.push(text);
                    }
                }
                return {times, wrong: wrong.length,
                        engine: scanner.verifyEngine ? scanner.verifyEngine() : "unknown"};
            }""",
            [genuine, altered],
        )
        browser.close()
    times = sorted(value / 1000 for value in timing["times"])  # ms → s for percentile()
    return {
        "count": len(times),
        "p50": percentile(times, 0.50),
        "p99": percentile(times, 0.99),
        "mean": sum(times) / len(times) * 1000,
        "wrong": timing["wrong"],
        "engine": timing["engine"],
    }


def main(argv: list[str] | None = None) -> int:
    args = options(argv)
    count = int(args.rate * args.seconds)
    with session("checkin", args.db) as bench:
        made = asyncio.run(prepare(bench.url, args.tickets))
        event_id = made["ids"]["door"]
        scans = plan(count, event_id, made["qrs"], random.Random(2026))
        server = bench.serve_events(workers=args.workers)
        token = asyncio.run(login(server.port))
        wire = requests(server.port, token, scans.bodies)
        wait_for_quiet(server, args)
        before = cpu_clock(server)
        answers = asyncio.run(steady(server.port, wire, args.rate, args.connections))
        used = cores_used(before, cpu_clock(server), args.db == "postgres")
        wrong = []
        for number, body in enumerate(answers.bodies):
            try:
                result = json.loads(body)["result"] if answers.statuses[number] == 200 else None
            except ValueError:
                result = None
            if result != scans.expected[number]:
                wrong.append((number, answers.statuses[number], scans.expected[number], result))
        timing = None
        if not args.no_browser:
            timing = browser_timing(
                server.base, event_id, made["qrs"]["door"], args.verify_count, args.verify_engine
            )
        server.stop()
        checks = asyncio.run(database_checks(bench.url, event_id, count, scans.first_scans))
    latencies = sorted(answers.latencies)  # s; percentile() gives ms
    answered = sum(1 for status in answers.statuses if status == 200)
    print()
    print(
        f"Check-in — db={args.db}, {count} scans due at {args.rate:g}/s for {args.seconds:g} s,"
        f" {args.connections} connections, events serve --workers {args.workers}"
    )
    print(
        f"  answered {answered}/{count} in {answers.seconds:.1f} s = "
        f"{answered / answers.seconds:,.0f} scans/s; latency from due time: "
        f"p50 {percentile(latencies, 0.5):.1f} ms, p99 {percentile(latencies, 0.99):.1f} ms, "
        f"max {latencies[-1] * 1000:.1f} ms"
    )
    print("  CPU cores: " + ", ".join(f"{key} {value:.2f}" for key, value in used.items()))
    mix = {}
    for expected in scans.expected:
        mix[expected] = mix.get(expected, 0) + 1
    print(f"  mix: {mix}")
    ok = not wrong
    print(
        f"  {'PASS' if not wrong else 'FAIL'}  every answer 200 with the expected result"
        f"  ({len(wrong)} wrong{': ' + str(wrong[:5]) if wrong else ''})"
    )
    for name, passed, value in checks:
        ok = ok and passed
        print(f"  {'PASS' if passed else 'FAIL'}  {name}  ({value})")
    p99 = percentile(latencies, 0.99)
    print(f"  aim p99 < 30 ms: {'met' if p99 < 30 else 'MISSED'} ({p99:.1f} ms)")
    if timing:
        print(
            f"  in-browser offline verification ({timing['engine']}): {timing['count']} scans,"
            f" p50 {timing['p50']:.2f} ms, p99 {timing['p99']:.2f} ms, mean {timing['mean']:.2f}"
            f" ms; wrong verdicts {timing['wrong']}; aim < 10 ms:"
            f" {'met' if timing['p99'] < 10 else 'MISSED'}"
        )
        ok = ok and timing["wrong"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
