"""Experiments for the registration rush: the app with one change patched in, NOT the app.

`bench/rush.py --experiment VARIANTS` serves `rushexp:create_app` under uvicorn the way
`events serve --workers 2 --quiet` does, with RUSH_EXPERIMENT=VARIANTS (comma-separated):

- `nolimiter`: `web.ratelimit.check_registration` and `registered` do nothing (what the
  `limits` in-memory storage costs: its timer thread walks every key every 10 ms);
- `sqlite-one-hop`: on SQLite the registration's transaction (writer flock, BEGIN IMMEDIATE,
  claim, INSERT registration, INSERT outbox, COMMIT) runs in ONE call on one writer thread
  per worker, instead of a lock held across six awaits of thread hops;
- `switch=S`: `sys.setswitchinterval(S)` in each worker (how long a thread waits for the
  GIL before asking the running one to let go; Python's default is 0.005 s);
- `pg-gate=K`: on PostgreSQL at most K registering statements in flight per worker (the
  others wait in the event loop, not on the event row's lock inside PostgreSQL).

They measure what a fix would give; they are not fixes (no audit for staff, no error paths).
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import sqlite3
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def serve_experiment(bench, workers: int, variants: str):
    """Start the patched app in `bench` (a harness Session); a harness Server."""
    from harness import HOST, free_port

    os.environ["RUSH_EXPERIMENT"] = variants
    port = free_port()
    argv = [
        sys.executable, "-m", "uvicorn", "rushexp:create_app", "--factory",
        "--app-dir", str(BENCH), "--host", HOST, "--port", str(port), "--workers", str(workers),
        "--log-level", "warning", "--no-access-log", "--proxy-headers",
    ]  # fmt: skip
    return bench._start(f"experiment {variants}", argv, port, "/healthz")


def _one_hop_sqlite():
    """A replacement for events.registration.registration._register_in_transaction."""
    from piccolo.engine.sqlite import SQLiteEngine, dict_factory
    from rushfloor import OUTBOX_SQL, _sqlite_statements

    from events.core.db import current_engine
    from events.registration import registration

    claim_sql, claim_order, insert_sql, columns = _sqlite_statements()
    outbox_sql = OUTBOX_SQL.replace("{}", "?")
    writer = ThreadPoolExecutor(max_workers=1)
    state: dict = {}

    def transaction(event: dict, values: dict, moment) -> dict | None:
        if not state:
            path = current_engine().path
            connection = sqlite3.connect(**SQLiteEngine(path=path, timeout=30).connection_kwargs)
            connection.row_factory = dict_factory
            connection.execute("PRAGMA foreign_keys = 1")
            connection.execute("PRAGMA synchronous=NORMAL")
            state.update(
                connection=connection,
                fd=os.open(f"{path}.write-lock", os.O_RDWR | os.O_CREAT, 0o600),
            )
        connection = state["connection"]
        fcntl.flock(state["fd"], fcntl.LOCK_EX)
        try:
            connection.execute("BEGIN IMMEDIATE")
            named = {"n": values["party_size"], "id": event["id"], "now": moment}
            claim = connection.execute(claim_sql, [named[name] for name in claim_order])
            claim = claim.fetchone()
            if claim is None:
                connection.execute("ROLLBACK")
                return None
            status = claim["status"]
            row = {
                **values, "event": event["id"], "status": status, "seq": claim["seq"],
                "created_at": moment, "confirmed_at": moment if status == "confirmed" else None,
                "cancelled_at": None, "cancelled_by": "", "checked_in_at": None,
                "anonymised_at": None, "answers": json.dumps(values["answers"]),
            }  # fmt: skip
            created = connection.execute(insert_sql, [row[name] for name in columns]).fetchone()
            position = claim["waiting"] if status == "waitlisted" else None
            payload = registration._payload(event, created, position)
            dedupe = f"{status}:sms:{created['id']}:{created['seq']}"[:120]
            sms = (status, "sms", values["phone"], created["id"])
            text = json.dumps(payload, ensure_ascii=False, default=str)
            connection.execute(outbox_sql, [*sms, text, dedupe, moment, moment])
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        finally:
            fcntl.flock(state["fd"], fcntl.LOCK_UN)
        return {**created, "waitlist_position": position}

    async def register_in_transaction(event, values, moment, actor):
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(writer, transaction, event, values, moment)

    registration._register_in_transaction = register_in_transaction


def _gate_postgres(limit: int) -> None:
    from events.registration import registration

    original = registration._register_in_one_statement
    gates: dict = {}

    async def gated(event, values, moment, actor):
        gate = gates.setdefault(id(asyncio.get_running_loop()), asyncio.Semaphore(limit))
        async with gate:
            return await original(event, values, moment, actor)

    registration._register_in_one_statement = gated


def create_app():
    variants = [value for value in os.environ.get("RUSH_EXPERIMENT", "").split(",") if value]
    for variant in variants:
        if variant == "nolimiter":
            from web import ratelimit

            ratelimit.check_registration = lambda ip, phone: None
            ratelimit.registered = lambda phone: None
        elif variant == "sqlite-one-hop":
            _one_hop_sqlite()
        elif variant.startswith("switch="):
            sys.setswitchinterval(float(variant.partition("=")[2]))
        elif variant.startswith("pg-gate="):
            _gate_postgres(int(variant.partition("=")[2]))
        else:
            raise SystemExit(f"unknown experiment {variant!r}")
    from web.app import create_app as create

    return create()
