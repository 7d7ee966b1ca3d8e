"""Registration rush (issue 3): N registrations at once for a 200-seat event with a waitlist.

    .venv/bin/python bench/rush.py [--db sqlite|postgres|both] [--registrations 2000]
        [--seats 200] [--connections 10,50,200] [--warmup 400] [--runs 1] [--experiment X]

For each database, each concurrency C (and each run):

1. a fresh database (a SQLite file in a temporary folder, or a new PostgreSQL database
   `bench_rush_<random>`, dropped at the end), `events migrate`, and four published events
   created with Piccolo: the rush event (--seats seats, waitlist, party size 1), a warm-up
   event, and the same two for the floor;
2. `events serve --workers 2 --quiet` with EVENTS_REGISTRATION_LIMIT_PER_IP=1000000/minute
   (the per-address limit would refuse a crowd behind one address: here, all of them) and
   EVENTS_SENDER=off (no message delivery during the run);
3. once other processes use < 0.2 core (waits up to 60 s), opens C keep-alive connections,
   sends --warmup registrations to the warm-up event over them, then exactly N registrations
   to the rush event (bench/rushload.py: asyncio + uvloop on raw sockets; every request its
   own `13xxxxxxxxx` number and name; any status but 201 is an error); reg/s is N over the
   wall clock from the first request to the last response, p50/p99 over the N latencies;
4. stops the server and checks, from the database and the 201 bodies: exactly `seats`
   confirmed and N - seats waitlisted; the event's counters; waitlist positions 1..N-seats,
   in arrival (seq) order; unique ticket tokens; one SMS in the outbox per registration;
5. the floor (bench/rushfloor.py): the same SQL without HTTP or the app, at C on PostgreSQL,
   one connection on SQLite; then the ratio HTTP / floor.

Prints a table per database and whether the rate falls as concurrency grows. The machinery
(database, server, CPU accounting) is bench/harness.py; traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from harness import _processes, cores_used, cpu_clock, print_table, session, wait_for_quiet
from rushexp import serve_experiment
from rushfloor import Floor, pg_floor, sqlite_floor
from rushload import Fired, registration_requests, run

AIM_RATE_PG = 1000.0  # registrations/s on PostgreSQL
AIM_RATIO = 0.60  # HTTP / floor
FALL_TOLERANCE = 0.90  # "does not fall": each level >= 90% of the one below (run-to-run noise)
WARMUP_FIRST = 500_000_000  # warm-up phones 13500000000...: apart from the rush's 13000000000...


def options(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--registrations", type=int, default=2000)
    parser.add_argument("--seats", type=int, default=200)
    parser.add_argument("--connections", default="10,50,200", help="comma-separated")
    parser.add_argument("--warmup", type=int, default=400, help="registrations, another event")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--runs", type=int, default=1, help="repeat every measurement")
    parser.add_argument("--experiment", help="serve bench/rushexp.py's patched app (see there)")
    parser.add_argument("--quiet-wait", type=float, default=60)
    parser.add_argument("--quiet-cores", type=float, default=0.2)
    args = parser.parse_args(argv)
    args.levels = [int(value) for value in args.connections.split(",")]
    if not 0 < args.seats < args.registrations:
        parser.error("--seats must be between 0 and --registrations")
    return args


# --- events and CPU --------------------------------------------------------------------------


async def create_events(url: str, seats: int) -> dict[str, int]:
    """Four published events open for registration, `seats` seats each, with a waitlist."""
    from events.core import db
    from events.core.engines import engine_from_url
    from events.tables import Event

    db.use_engine(engine_from_url(url))
    moment = datetime.now(UTC).replace(microsecond=0)
    starts = moment + timedelta(days=7)
    common = dict(
        kind="lecture", series="科普墅", venue="运河科普会客厅", address="拱墅区小河直街 36 号",
        street="小河街道", starts_at=starts, ends_at=starts + timedelta(hours=2), capacity=seats,
        waitlist=True, max_party_size=1, registration_opens_at=moment - timedelta(days=1),
        registration_closes_at=starts - timedelta(hours=2), status="published",
    )  # fmt: skip
    ids = {}
    for name in ("rush", "warmup", "floor", "floor_warmup"):
        event = Event(title=f"抢票压测（{name}）", **common)
        rows = await Event.insert(event).returning(Event.id)
        ids[name] = rows[0]["id"]
    return ids


def clock(server) -> dict:
    """harness.cpu_clock() plus this process's CPU (the load generator or the floor) and each
    server process's."""
    snapshot = cpu_clock(server)
    snapshot["self"] = time.process_time()
    if server is not None:
        ticks = os.sysconf("SC_CLK_TCK")
        snapshot["workers"] = {
            pid: used / ticks
            for pid, _, sid, used in _processes()
            if sid == server.process.pid and pid in workers(server)
        }
    return snapshot


def workers(server) -> set[int]:
    """The uvicorn worker processes (spawned by multiprocessing) of `events serve`."""
    found = set()
    for pid in server.pids():
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                if b"spawn_main" in handle.read():
                    found.add(pid)
        except OSError:
            continue
    return found


def cores(clocks: tuple, with_postgres: bool) -> dict[str, float]:
    start, end = clocks
    used = cores_used(start, end, with_postgres)
    wall = end["at"] - start["at"]
    used["generator"] = (end["self"] - start["self"]) / wall
    used["other"] = max(used["other"] - used["generator"], 0.0)
    used.pop("wrk")  # no children run meanwhile
    by_pid = end.get("workers", {})
    used["per_process"] = [
        (by_pid[pid] - start["workers"].get(pid, 0.0)) / wall for pid in sorted(by_pid)
    ]
    return used


# --- checks ----------------------------------------------------------------------------------


async def verify(event_id: int, fired: Fired, seats: int) -> list[tuple[str, bool, str]]:
    """Check the rush event in the database (and the 201 bodies); (check, passed, detail)."""
    from events.tables import Event

    count = len(fired.statuses)
    waiting = count - seats
    parsed = zip(fired.statuses, fired.json_bodies(), strict=True)
    bodies = [body for status, body in parsed if status == 201 and body]
    rows = await Event.raw(
        "SELECT id, status, seq, ticket_token FROM registration WHERE event = {} ORDER BY seq",
        event_id,
    )
    (event,) = await Event.raw(
        "SELECT confirmed, waitlisted, waiting FROM event WHERE id = {}", event_id
    )
    outbox = await Event.raw(
        "SELECT o.channel, o.kind, o.subject_id, o.payload FROM outbox_message o"
        " JOIN registration r ON o.subject_type = 'registration' AND r.id = o.subject_id"
        " WHERE r.event = {}",
        event_id,
    )
    statuses = [row["status"] for row in rows]
    rank = {}  # registration id -> place in line by seq
    for row in rows:
        if row["status"] == "waitlisted":
            rank[row["id"]] = len(rank) + 1
    confirmed_seqs = [row["seq"] for row in rows if row["status"] == "confirmed"]
    waiting_seqs = [row["seq"] for row in rows if row["status"] == "waitlisted"]
    positions = sorted(body["waitlist_position"] for body in bodies if body["waitlist_position"])
    in_order = all(
        body["waitlist_position"] == rank.get(body["id"])
        for body in bodies
        if body["status"] == "waitlisted"
    )
    tokens = {row["ticket_token"] for row in rows}
    sent = {(message["channel"], message["kind"]) for message in outbox}
    by_registration = {message["subject_id"]: message for message in outbox}
    payloads = {
        key: row["payload"] if isinstance(row["payload"], dict) else json.loads(row["payload"])
        for key, row in by_registration.items()
    }
    payload_positions = all(
        payloads[body["id"]]["waitlist_position"] == body["waitlist_position"]
        for body in bodies
        if body["id"] in payloads
    )
    counters = (event["confirmed"], event["waitlisted"], event["waiting"])
    n_confirmed, n_waiting = statuses.count("confirmed"), statuses.count("waitlisted")
    sms_only = sent <= {("sms", "confirmed"), ("sms", "waitlisted")}
    body_tokens = {body["ticket_token"] for body in bodies}
    return [
        ("zero errors (all 201)", fired.errors() == 0, f"{fired.errors()} not 201"),
        (f"{seats} confirmed", n_confirmed == seats, str(n_confirmed)),
        (f"{waiting} waitlisted", n_waiting == waiting, str(n_waiting)),
        (
            "event confirmed/waitlisted/waiting",
            counters == (seats, waiting, waiting),
            f"{counters}",
        ),
        (
            f"positions 1..{waiting} in the bodies",
            positions == list(range(1, waiting + 1)),
            f"{len(positions)} positions, {len(set(positions))} distinct",
        ),
        (
            "positions follow arrival (seq)",
            in_order and bool(confirmed_seqs) and max(confirmed_seqs) < min(waiting_seqs or [0]),
            "",
        ),
        (
            "unique ticket tokens",
            len(tokens) == count == len(rows) and tokens == body_tokens,
            f"{len(tokens)} tokens",
        ),
        (
            "one SMS per registration",
            len(outbox) == len(by_registration) == count and sms_only,
            f"{len(outbox)} rows {sorted(sent)}",
        ),
        ("outbox payload positions", payload_positions, ""),
    ]


async def verify_floor(event_id: int, floor: Floor, seats: int) -> bool:
    from events.tables import Event

    count = len(floor.positions)
    (event,) = await Event.raw(
        "SELECT confirmed, waitlisted, waiting FROM event WHERE id = {}", event_id
    )
    positions = sorted(position for position in floor.positions if isinstance(position, int))
    waiting = count - seats
    expected = (seats, waiting, waiting)
    counters = (event["confirmed"], event["waitlisted"], event["waiting"])
    return floor.errors == 0 and counters == expected and positions == list(range(1, waiting + 1))


# --- one measurement -------------------------------------------------------------------------


@dataclass
class Row:
    db: str
    connections: int
    fired: Fired
    cpu: dict
    checks: list
    floor: Floor
    floor_cpu: dict
    floor_ok: bool
    ratio: float = field(init=False)

    def __post_init__(self) -> None:
        self.ratio = self.fired.rate / self.floor.rate

    @property
    def passed(self) -> bool:
        return all(ok for _, ok, _ in self.checks)


def measure(db: str, connections: int, args: argparse.Namespace) -> Row:
    with session("rush", db) as bench:
        from events.core.engines import (
            sqlite_path,  # once the session points EVENTS_DATABASE_URL at it
        )

        ids = asyncio.run(create_events(bench.url, args.seats))
        os.environ["EVENTS_REGISTRATION_LIMIT_PER_IP"] = "1000000/minute"
        os.environ["EVENTS_SENDER"] = "off"
        if args.experiment:
            server = serve_experiment(bench, args.workers, args.experiment)
        else:
            server = bench.serve_events(workers=args.workers)
        warm = registration_requests(server.port, ids["warmup"], args.warmup, WARMUP_FIRST)
        rush = registration_requests(server.port, ids["rush"], args.registrations)
        wait_for_quiet(server, args)
        _, fired = run(server.port, [warm, rush], connections, clock=lambda: clock(server))
        cpu = cores(fired.clocks, with_postgres=db == "postgres")
        server.stop()
        checks = asyncio.run(verify(ids["rush"], fired, args.seats))
        for failure in fired.failures:
            print(f"    ! {failure}")

        wait_for_quiet(None, args)
        events = [ids["floor_warmup"], ids["floor"]]
        counts = [args.warmup, args.registrations]
        if db == "postgres":
            floor = pg_floor(bench.url, events, counts, connections, lambda: clock(None))
        else:
            path = str(sqlite_path(bench.url))
            floor = sqlite_floor(path, events, counts, lambda: clock(None))
        floor_cpu = cores(floor.clocks, with_postgres=db == "postgres")
        floor_ok = asyncio.run(verify_floor(ids["floor"], floor, args.seats))
    row = Row(db, connections, fired, cpu, checks, floor, floor_cpu, floor_ok)
    report_row(row)
    return row


def _cpu(used: dict) -> str:
    split = "/".join(f"{value:.2f}" for value in used.get("per_process", []))
    text = f"server {used['server']:.2f}" + (f" [workers {split}]" if split else "")
    return (
        f"{text}, this process {used['generator']:.2f}, postgres {used['postgres']:.2f}, "
        f"other {used['other']:.2f}"
    )


def report_row(row: Row) -> None:
    fired, floor = row.fired, row.floor
    print(
        f"  {row.db} C={row.connections}: HTTP {fired.rate:,.0f} reg/s in {fired.seconds:.2f} s,"
        f" p50 {fired.percentile(0.5):.1f} ms, p99 {fired.percentile(0.99):.1f} ms,"
        f" errors {fired.errors()}  (CPU cores: {_cpu(row.cpu)})"
    )
    print(
        f"  {row.db} C={row.connections}: floor {floor.rate:,.0f} reg/s,"
        f" p50 {floor.percentile(0.5):.1f} ms, p99 {floor.percentile(0.99):.1f} ms"
        f" [{floor.how}] checks {'PASS' if row.floor_ok else 'FAIL'}"
        f"  (CPU cores: {_cpu(row.floor_cpu)});  ratio {row.ratio:.0%}"
    )
    for name, ok, detail in row.checks:
        print(f"    {'PASS' if ok else 'FAIL'}  {name}" + (f"  ({detail})" if detail else ""))
    sys.stdout.flush()


# --- report ----------------------------------------------------------------------------------


def report(db: str, rows: list[Row], args: argparse.Namespace) -> None:
    print()
    print(
        f"Registration rush — db={db}, {args.registrations} registrations, {args.seats} seats"
        f" + waitlist, events serve --workers {args.workers}, {os.cpu_count()} cores shared"
        + (f", EXPERIMENT {args.experiment} (not the app)" if args.experiment else "")
    )
    columns = [("conns", 6), ("reg/s", 8), ("p50 ms", 8), ("p99 ms", 9), ("errors", 7)]
    columns += [("floor/s", 9), ("floor p99", 10), ("ratio", 7), ("checks", 7)]
    columns += [("server", 7), ("gen", 6), ("pg", 6), ("other", 6), ("fl.other", 9)]
    print_table(columns, [
        [str(r.connections), f"{r.fired.rate:,.0f}", f"{r.fired.percentile(0.5):.1f}",
         f"{r.fired.percentile(0.99):.1f}", str(r.fired.errors()), f"{r.floor.rate:,.0f}",
         f"{r.floor.percentile(0.99):.1f}", f"{r.ratio:.0%}",
         "PASS" if r.passed and r.floor_ok else "FAIL", f"{r.cpu['server']:.2f}",
         f"{r.cpu['generator']:.2f}", f"{r.cpu['postgres']:.2f}", f"{r.cpu['other']:.2f}",
         f"{r.floor_cpu['other']:.2f}"]
        for r in rows
    ])  # fmt: skip
    print(
        "(server/gen/pg/other: CPU cores during the HTTP run, gen: the load generator, other:"
        " other processes and steal; fl.other: other processes during the floor)"
    )
    for run_number in range(args.runs):
        mine = rows[run_number * len(args.levels) : (run_number + 1) * len(args.levels)]
        steps = [
            f"{low.connections}->{high.connections}: {high.fired.rate / low.fired.rate:.0%}"
            for low, high in itertools.pairwise(mine)
        ]
        falls = any(
            high.fired.rate < FALL_TOLERANCE * low.fired.rate
            for low, high in itertools.pairwise(mine)
        )
        verdict = "FALLS" if falls else f"does not fall (each >= {FALL_TOLERANCE:.0%} of previous)"
        print(f"  run {run_number + 1}: rate as concurrency grows: {', '.join(steps)} — {verdict}")
    aims = [(f"ratio >= {AIM_RATIO:.0%}", all(r.ratio >= AIM_RATIO for r in rows))]
    if db == "postgres":
        aims.insert(
            0, (f">= {AIM_RATE_PG:,.0f} reg/s", all(r.fired.rate >= AIM_RATE_PG for r in rows))
        )
    print("  aims: " + "; ".join(f"{name}: {'met' if ok else 'MISSED'}" for name, ok in aims))


def main(argv: list[str] | None = None) -> int:
    args = options(argv)
    databases = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    results: dict[str, list[Row]] = {}
    for db in databases:
        results[db] = [
            measure(db, connections, args) for _ in range(args.runs) for connections in args.levels
        ]
    for db, rows in results.items():
        report(db, rows, args)
    passed = all(row.passed and row.floor_ok for rows in results.values() for row in rows)
    print(f"\nchecks: {'all PASS' if passed else 'some FAILED'}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
