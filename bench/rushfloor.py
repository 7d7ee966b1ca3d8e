"""The registration's floor: the app's own SQL run directly, without HTTP or the app.

PostgreSQL: `events.registration.sql.ONE_STATEMENT` (imported, so it is the same text), numbered
with `numbered` as the app does and with `{}` turned into `$1..$n` as Piccolo does, executed
with `pool.fetch()` (what Piccolo's `raw()` does) by C tasks on an asyncpg pool of min(C, 40)
connections: the app's 2 workers hold at most 2 x 20.

SQLite: the three statements of `_register_in_transaction` (the claim `CLAIM`, Piccolo's own
compiled INSERT INTO registration ... RETURNING, and `messages.enqueue`'s outbox INSERT) in one
`BEGIN IMMEDIATE` transaction, on ONE sqlite3 connection opened as Piccolo opens them, with the
app writer's pragmas, one registration after another. SQLite has one writer: C connections in
C threads would queue on the same file lock and add hand-offs, not throughput.

Both run a warm-up on another event first, then the measured registrations. Run as a script,
it prints the PostgreSQL floor against the pool's size:

    .venv/bin/python bench/rushfloor.py [--connections 1,2,4,8,10,20,40] [--runs 1]
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import sqlite3
import time
from dataclasses import dataclass

from rushload import percentile, phone

PG_POOL_CAP = 40
NAMES = (
    "id", "n", "now", "name", "phone", "email", "company", "adults", "children", "answers",
    "token", "source", "payload",
)  # fmt: skip


@dataclass
class Floor:
    how: str
    seconds: float
    latencies: list[float]
    positions: list  # waitlist_position per registration (None when confirmed, "error")
    clocks: tuple

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    @property
    def errors(self) -> int:
        return sum(position == "error" for position in self.positions)

    def percentile(self, fraction: float) -> float:
        return percentile(self.latencies, fraction)


def _values(number: int) -> dict:
    """What `clean_registration()` makes of `{"name", "phone"}` at a plain event, plus the
    ticket token and source `register()` adds."""
    return {
        "name": f"抢票者{number:05d}", "phone": phone(number), "email": "", "company": "",
        "adults": 1, "children": 0, "answers": {}, "party_size": 1,
        "ticket_token": secrets.token_urlsafe(24), "source": "api",
    }  # fmt: skip


# --- PostgreSQL ------------------------------------------------------------------------------


def _pg_statement() -> tuple[str, list[str]]:
    """ONE_STATEMENT with $1..$n, and the name of the value each number takes."""
    from events.registration.sql import ONE_STATEMENT, numbered

    sql, order = numbered(ONE_STATEMENT, **{name: name for name in NAMES})
    counter = iter(range(1, len(order) + 1))
    return re.sub(r"\{\}", lambda _: f"${next(counter)}", sql), order


def _pg_args(order: list[str], event: dict, number: int) -> list:
    from events.core.timeutil import now
    from events.registration.registration import _payload

    values = _values(number)
    payload = _payload(event, {**values, "id": None}, None)
    named = {
        "id": event["id"], "n": 1, "now": now(), "name": values["name"],
        "phone": values["phone"], "email": "", "company": "", "adults": 1, "children": 0,
        "answers": json.dumps({}, ensure_ascii=False), "token": values["ticket_token"],
        "source": "api", "payload": json.dumps(payload, ensure_ascii=False, default=str),
    }  # fmt: skip
    return [named[name] for name in order]


async def _pg_batch(pool, sql: str, order: list[str], event: dict, count: int, tasks: int):
    """`count` registrations at `event` by `tasks` tasks: (latencies, positions)."""
    latencies = [0.0] * count
    positions: list = ["error"] * count
    next_number = 0

    async def worker() -> None:
        nonlocal next_number
        while next_number < count:
            number = next_number
            next_number += 1
            args = _pg_args(order, event, number)
            began = time.perf_counter()
            rows = await pool.fetch(sql, *args)
            latencies[number] = time.perf_counter() - began
            if rows:
                positions[number] = rows[0]["waitlist_position"]

    await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(min(tasks, count)))), 300)
    return latencies, positions


async def _pg_floor(url: str, events: list[int], counts: list[int], connections: int, clock):
    import asyncpg

    size = min(connections, PG_POOL_CAP)
    pool = await asyncpg.create_pool(url, min_size=size, max_size=size)
    sql, order = _pg_statement()
    how = f"asyncpg pool of {size}, {connections} tasks, ONE_STATEMENT"
    results = []
    try:
        for event_id, count in zip(events, counts, strict=True):
            event = dict(await pool.fetchrow("SELECT * FROM event WHERE id = $1", event_id))
            start = clock()
            began = time.perf_counter()
            latencies, positions = await _pg_batch(pool, sql, order, event, count, connections)
            seconds = time.perf_counter() - began
            results.append(Floor(how, seconds, latencies, positions, (start, clock())))
    finally:
        await pool.close()
    return results[-1]


def pg_floor(url: str, events: list[int], counts: list[int], connections: int, clock) -> Floor:
    """Register counts[i] at events[i] in turn; the last is the measured one."""
    import uvloop

    return uvloop.run(_pg_floor(url, events, counts, connections, clock))


# --- SQLite ----------------------------------------------------------------------------------


def _sqlite_statements() -> tuple[str, list[str], str, list[str]]:
    """The claim and the names its `?` take; Piccolo's INSERT INTO registration and its
    columns."""
    from events.core.timeutil import now
    from events.registration.sql import CLAIM, numbered
    from events.tables import Registration

    claim, claim_order = numbered(CLAIM, n="n", id="id", now="now")
    sample = Registration(
        event=1, status="confirmed", seq=1, created_at=now(), confirmed_at=None, name="n",
        phone="13000000000", email="", company="", party_size=1, adults=1, children=0,
        answers={}, ticket_token="t", source="api",
    )  # fmt: skip
    query = Registration.insert(sample).returning(*Registration.all_columns())
    insert, args = query.querystrings[0].compile_string(engine_type="sqlite")
    columns = re.search(r"\((\"id\",.*?)\)", insert).group(1).replace('"', "").split(",")[1:]
    assert len(columns) == len(args), (columns, args)
    return claim.replace("{}", "?"), claim_order, insert, columns


def sqlite_floor(path: str, events: list[int], counts: list[int], clock) -> Floor:
    """Register counts[i] at events[i] in turn on one connection; the last is measured."""
    from piccolo.engine.sqlite import SQLiteEngine, dict_factory

    from events.core.timeutil import now
    from events.registration.registration import _payload

    claim_sql, claim_order, insert_sql, columns = _sqlite_statements()
    from events.notify.messages import OUTBOX_INSERT  # the app's own statement

    outbox_sql = OUTBOX_INSERT.replace("{}", "?")
    connection = sqlite3.connect(**SQLiteEngine(path=path, timeout=30).connection_kwargs)
    connection.row_factory = dict_factory
    connection.execute("PRAGMA foreign_keys = 1")
    connection.execute("PRAGMA synchronous=NORMAL")  # as events.core.db's writer connection
    results = []
    try:
        for event_id, count in zip(events, counts, strict=True):
            event = connection.execute("SELECT * FROM event WHERE id = ?", (event_id,)).fetchone()
            latencies = [0.0] * count
            positions: list = ["error"] * count
            start = clock()
            began = time.perf_counter()
            for number in range(count):
                values = _values(number)
                started = time.perf_counter()
                moment = now()
                named = {"n": 1, "id": event_id, "now": moment}
                connection.execute("BEGIN IMMEDIATE")
                claim = connection.execute(claim_sql, [named[name] for name in claim_order])
                claim = claim.fetchone()
                if claim is None:
                    connection.execute("ROLLBACK")
                    continue
                status = claim["status"]
                row = {
                    **values, "event": event_id, "status": status, "seq": claim["seq"],
                    "created_at": moment, "confirmed_at": moment if status == "confirmed" else None,
                    "cancelled_at": None, "cancelled_by": "", "checked_in_at": None,
                    "anonymised_at": None, "answers": "{}",
                }  # fmt: skip
                registration = connection.execute(
                    insert_sql, [row[column] for column in columns]
                ).fetchone()
                position = claim["waiting"] if status == "waitlisted" else None
                payload = json.dumps(
                    _payload(event, registration, position), ensure_ascii=False, default=str
                )
                dedupe = f"{status}:sms:{registration['id']}:{registration['seq']}"[:120]
                sms = (status, "sms", values["phone"], "registration", registration["id"])
                sms = (*sms, payload, dedupe)
                connection.execute(outbox_sql, [*sms, moment, moment])
                connection.execute("COMMIT")
                latencies[number] = time.perf_counter() - started
                positions[number] = position
            seconds = time.perf_counter() - began
            how = "one sqlite3 connection, BEGIN IMMEDIATE + 3 statements, one at a time"
            results.append(Floor(how, seconds, latencies, positions, (start, clock())))
    finally:
        connection.close()
    return results[-1]


def main() -> int:
    """The PostgreSQL floor against the pool's size, a fresh database per size:
    `.venv/bin/python bench/rushfloor.py [--connections 1,2,4,8,10,20,40] [--runs 1]`."""
    import argparse
    import sys

    from harness import session
    from rush import create_events

    parser = argparse.ArgumentParser(description=main.__doc__.split(":")[0])
    parser.add_argument("--connections", default="1,2,4,8,10,20,40")
    parser.add_argument("--registrations", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    for _ in range(args.runs):
        for connections in [int(value) for value in args.connections.split(",")]:
            with session("rushfloor", "postgres") as bench:
                ids = asyncio.run(create_events(bench.url, 200))
                events, counts = [ids["floor_warmup"], ids["floor"]], [400, args.registrations]
                floor = pg_floor(bench.url, events, counts, connections, lambda: None)
            print(
                f"  {connections:3d} connections: {floor.rate:7,.0f} reg/s, p50"
                f" {floor.percentile(0.5):.1f} ms, p99 {floor.percentile(0.99):.1f} ms",
                file=sys.stderr,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
