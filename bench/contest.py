"""Drawing contest (issue 11): uploads of phone photos, judging, results and the gallery, measured.

    .venv/bin/python bench/contest.py [--db sqlite|postgres|both] [--entries 1400]
        [--connections 20] [--judges 7] [--per-entry 3] [--gallery-seconds 10]

For each database:

1. N phone photos (bench/contestload.py: 4000 x 3000 JPEG, quality 92, 3-5 MB, EXIF with
   camera, time, GPS and, for every other one, orientation 6), each a different drawing, made
   once and cached under var/bench/photos/ (git-ignored); their sizes are printed. For a
   reference, `images.process` alone is timed on 5 of them in this process.
2. A fresh database (bench/harness.py), an organizer and --judges judges (Piccolo), two
   published contest events (a warm-up one and the measured one), `events serve --workers 2
   --quiet` with EVENTS_REGISTRATION_LIMIT_PER_IP=1000000/minute,
   EVENTS_REGISTRATION_LIMIT_PER_PHONE=1000000/hour, EVENTS_SENDER=off and
   EVENTS_STORAGE_URL=file://<session folder>/media; both contests configured through the API
   (open window, 4 groups by grade, 3 criteria, --per-entry judges per entry, share 0.2).
3. Once other processes use < 0.2 core: 20 uploads to the warm-up contest, then the N uploads,
   as multipart POST /api/v1/events/{id}/entries over --connections keep-alive connections
   (bench/rushload.py's raw-socket generator on uvloop: cheap on the shared cores; each
   request built from its file only when sent; the connections opened --stagger-ms apart, else
   one uvicorn worker tends to accept all of them and the other idles through the run, see
   contestload.send). Each has its own guardian mobile; anything but
   201 is an error. Prints entries/s (N over the wall clock), p50/p99, the server processes'
   CPU seconds / N, the load generator's CPU, PostgreSQL's and other processes'.
4. 5 of the photos re-saved at JPEG quality 70 and uploaded again (must be flagged duplicates),
   then withdrawn; the window closed (PUT, close 1 s ago); POST judging/assign; every judge
   fetches their queue; all scores PUT over --judges connections, the judges interleaved
   (each judge has a severity and a spread of their own); POST results/compute 5 times (the
   median is the figure); publish.
5. GET /events/{id}/gallery, anonymous with gzip, from --connections connections: 1 s of
   warm-up, then --gallery-seconds measured; GET /api/v1/events/{id}/results once.
6. Checks (PASS/FAIL): N entries stored, submitted, then selected / not selected (the 5
   re-saved ones withdrawn); codes unique; 20 random stored images have no EXIF, XMP, ICC or
   comment and their orientation applied; no original flagged a duplicate, every re-saved one
   flagged as its original; per group selected = floor(0.2 x n + 0.5); the gallery shows the
   selected works with gallery consent.
7. A summary table; the raw figures in var/bench/contest-<timestamp>.json.

The machinery (database, server, CPU accounting, waiting for quiet) is bench/harness.py (and
rush.py's per-process clock). Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import io
import json
import math
import os
import random
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from contestload import (
    EntryRequests,
    get_requests,
    json_requests,
    make_photos,
    repeat,
    resaved,
    send,
)
from harness import ROOT, fetch, print_table, session, wait_for_quiet
from PIL import Image
from rush import _cpu, clock, cores
from rushload import Fired

AIM_CPU_MS = 100.0  # server CPU per photo
AIM_UPLOADS = 12.0  # uploads/s on 2 cores with the load generator on them
AIM_COMPUTE_S = 2.0
AIM_GALLERY_P99_MS = 50.0

PASSWORD = "bench-password-123"
MAIN_PHONE = 13_900_000_000  # guardians' mobiles: 139xxxxxxxx
WARM_PHONE = 13_800_000_000
DUPLICATE_PHONE = 13_700_000_000
WARMUP_UPLOADS = 20
DUPLICATES = 5
EXIF_SAMPLE = 20
GROUPS = [
    {"code": "g1", "name": "小学低年级组", "min_grade": 1, "max_grade": 3},
    {"code": "g2", "name": "小学高年级组", "min_grade": 4, "max_grade": 6},
    {"code": "g3", "name": "初中组", "min_grade": 7, "max_grade": 9},
    {"code": "g4", "name": "高中组", "min_grade": 10, "max_grade": 12},
]
CRITERIA = [
    {"code": "idea", "name": "主题立意", "weight": 0.4},
    {"code": "art", "name": "艺术表现", "weight": 0.4},
    {"code": "neat", "name": "完整度", "weight": 0.2},
]
SHARE = 0.2


def options(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--entries", type=int, default=1400)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--judges", type=int, default=7)
    parser.add_argument("--per-entry", type=int, default=3, help="judges per entry")
    parser.add_argument("--gallery-seconds", type=float, default=10, help="of gallery GETs")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--stagger-ms", type=float, default=20, help="open the connections this far apart"
    )
    parser.add_argument("--quiet-wait", type=float, default=60)
    parser.add_argument("--quiet-cores", type=float, default=0.2)
    args = parser.parse_args(argv)
    if args.entries < 50:
        parser.error("--entries must be at least 50")
    if not 1 <= args.per_entry <= args.judges:
        parser.error("--per-entry must be between 1 and --judges")
    return args


# --- setup -----------------------------------------------------------------------------------


async def create_people_and_events(url: str, judges: int) -> dict:
    """An organizer, `judges` judges and two published contest events (warm-up, measured)."""
    from events.core import db
    from events.core.engines import engine_from_url

    db.use_engine(engine_from_url(url))
    try:
        return await _create_people_and_events(judges)
    finally:
        await db.close_pool()  # the SQLite writer's thread would keep this process alive


async def _create_people_and_events(judges: int) -> dict:
    from events.accounts import accounts
    from events.tables import Event

    organizer = await accounts.create_user("bench-organizer", "organizer", PASSWORD)
    names = [(await accounts.create_user(f"judge-{i + 1}", "judge", PASSWORD))["username"]
             for i in range(judges)]  # fmt: skip
    moment = datetime.now(UTC).replace(microsecond=0)
    starts = moment + timedelta(days=30)
    ids = {}
    for name, title in (("warmup", "压测预热比赛"), ("contest", "青少年反邪教绘画大赛（压测）")):
        event = Event(
            title=title, kind="contest", series="青少年绘画", venue="拱墅区青少年宫",
            address="拱墅区湖州街 3 号", street="小河街道", starts_at=starts,
            ends_at=starts + timedelta(hours=2), capacity=5000, waitlist=False, max_party_size=1,
            registration_opens_at=moment - timedelta(days=1), registration_closes_at=starts,
            status="published", created_by=organizer["id"],
        )  # fmt: skip
        rows = await Event.insert(event).returning(Event.id)
        ids[name] = rows[0]["id"]
    return {"ids": ids, "judges": names}


def contest_body(per_entry: int, closes: datetime) -> dict:
    opens = datetime.now(UTC) - timedelta(days=1)
    return {
        "submissions_open_at": opens.isoformat(),
        "submissions_close_at": closes.isoformat(),
        "groups": GROUPS,
        "criteria": CRITERIA,
        "judges_per_entry": per_entry,
        "selection_share": SHARE,
        "max_entries_per_child": 1,
        "gallery": True,
    }


class Api:
    """The control-plane calls (setup, assign, compute, checks): httpx, not measured for CPU."""

    def __init__(self, base: str):
        self.http = httpx.Client(base_url=base, timeout=300)

    def login(self, username: str) -> str:
        response = self.http.post(
            "/api/v1/auth/login", json={"username": username, "password": PASSWORD}
        )
        response.raise_for_status()
        return response.json()["token"]

    def call(self, method: str, path: str, token: str | None = None, expect: int = 200, **kw):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        began = time.perf_counter()
        response = self.http.request(method, path, headers=headers, **kw)
        seconds = time.perf_counter() - began
        if response.status_code != expect:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:500]}")
        return response, seconds


# --- phases ----------------------------------------------------------------------------------


def phase_cpu(fired: Fired, db: str, count: int) -> dict:
    start, end = fired.clocks
    used = cores(fired.clocks, with_postgres=db == "postgres")
    return {
        "cores": used,
        "server_cpu_s": end["server"] - start["server"],
        "generator_cpu_s": end["self"] - start["self"],
        "postgres_cpu_s": (end["postgres"] - start["postgres"]) if db == "postgres" else 0.0,
        "server_cpu_ms_per_request": (end["server"] - start["server"]) / count * 1000,
        "generator_cpu_ms_per_request": (end["self"] - start["self"]) / count * 1000,
    }


def timing(fired: Fired) -> dict:
    return {
        "requests": len(fired.statuses),
        "seconds": fired.seconds,
        "rate": fired.rate,
        "p50_ms": fired.percentile(0.5),
        "p99_ms": fired.percentile(0.99),
        "max_ms": max(fired.latencies) * 1000,
        "statuses": dict(Counter(fired.statuses)),
        "failures": fired.failures,
    }


def show(label: str, fired: Fired, cpu: dict, unit: str, expected: int) -> None:
    errors = fired.errors(expected)
    print(
        f"  {label}: {fired.rate:,.1f} {unit} ({len(fired.statuses)} in {fired.seconds:.1f} s),"
        f" p50 {fired.percentile(0.5):.1f} ms, p99 {fired.percentile(0.99):.1f} ms,"
        f" errors {errors}; server CPU {cpu['server_cpu_ms_per_request']:.1f} ms/request,"
        f" generator {cpu['generator_cpu_ms_per_request']:.1f} ms/request"
        f"  (CPU cores: {_cpu(cpu['cores'])})",
        flush=True,
    )
    if errors:
        firsts = [(s, b[:200]) for s, b in zip(fired.statuses, fired.bodies, strict=True)
                  if s != expected][:3]  # fmt: skip
        print(f"    ! first errors: {firsts} {fired.failures[:3]}")


def process_alone(photos: list[Path]) -> dict:
    """CPU ms of `images.process` in this process on 5 photos (after one to warm up)."""
    from events.contests import images

    data = [photos[i].read_bytes() for i in range(6)]
    images.process(data[0])
    spent = []
    for blob in data[1:]:
        began = time.process_time()
        images.process(blob)
        spent.append((time.process_time() - began) * 1000)
    return {"median_ms": statistics.median(spent), "min_ms": min(spent), "max_ms": max(spent)}


def stored_image_ok(api: Api, token: str, portrait: bool) -> tuple[bool, str]:
    """The stored image of an entry: no metadata left, orientation applied."""
    entry, _ = api.call("GET", f"/api/v1/entries/{token}")
    url = entry.json()["image_url"]
    image_response = api.http.get(url)
    if image_response.status_code != 200:
        return False, f"{url}: {image_response.status_code}"
    with Image.open(io.BytesIO(image_response.content)) as image:
        left = [key for key in ("exif", "xmp", "XML:com.adobe.xmp", "icc_profile", "comment")
                if key in image.info]  # fmt: skip
        exif = dict(image.getexif())
        upright = (image.height > image.width) == portrait
        size = image.size
    problems = left + (["exif tags"] if exif else []) + ([] if upright else [f"size {size}"])
    return not problems, ", ".join(problems)


def measure(db: str, args: argparse.Namespace, photos: list[Path]) -> dict:
    n, stagger = args.entries, args.stagger_ms / 1000
    figures: dict = {"db": db, "entries": n, "connections": args.connections}
    checks: list[tuple[str, bool, str]] = []
    with session("contest", db) as bench:
        made = asyncio.run(create_people_and_events(bench.url, args.judges))
        event_id, warm_id, judges = made["ids"]["contest"], made["ids"]["warmup"], made["judges"]
        media = bench.folder / "media"
        os.environ.update({
            "EVENTS_REGISTRATION_LIMIT_PER_IP": "1000000/minute",
            "EVENTS_REGISTRATION_LIMIT_PER_PHONE": "1000000/hour",
            "EVENTS_SENDER": "off",
            "EVENTS_STORAGE_URL": f"file://{media}",
        })  # fmt: skip
        server = bench.serve_events(workers=args.workers)
        api = Api(server.base)
        organizer = api.login("bench-organizer")
        tokens = {name: api.login(name) for name in judges}
        later = datetime.now(UTC) + timedelta(days=1)
        for contest in (warm_id, event_id):
            api.call("PUT", f"/api/v1/events/{contest}/contest", organizer,
                     json=contest_body(args.per_entry, later))  # fmt: skip

        # 3. Uploads.
        warm = EntryRequests(server.port, warm_id, photos[:WARMUP_UPLOADS], WARM_PHONE)
        uploads = EntryRequests(server.port, event_id, photos[:n], MAIN_PHONE)
        wait_for_quiet(server, args)
        limit = max(600.0, n * 2.0)
        _, fired = send(
            server.port, [warm, uploads], args.connections, limit, lambda: clock(server), stagger
        )
        cpu = phase_cpu(fired, db, n)
        figures["upload"] = {**timing(fired), **cpu}
        show("uploads", fired, cpu, "entries/s", 201)
        created = fired.json_bodies()
        upload_ok = fired.errors(201) == 0 and all(created)
        checks.append(("every upload 201", upload_ok, f"{fired.errors(201)} not 201"))
        created_by_index = {i: body for i, body in enumerate(created) if body}

        # 4a. Re-saved copies: flagged duplicates, then withdrawn.
        picks = [round(i * (n - 1) / (DUPLICATES - 1)) for i in range(DUPLICATES)]
        copies = EntryRequests(server.port, event_id, [resaved(photos[i]) for i in picks],
                               DUPLICATE_PHONE, first_number=n)  # fmt: skip
        (dup_fired,) = send(server.port, [copies], DUPLICATES)
        dup_bodies = dup_fired.json_bodies()
        listed, _ = api.call("GET", f"/api/v1/events/{event_id}/entries", organizer)
        items = {item["id"]: item for item in listed.json()["items"]}
        originals = [created_by_index[i]["id"] for i in sorted(created_by_index)]
        flagged = [items[i]["duplicate_of"] for i in originals if items[i]["duplicate_of"]]
        checks.append(("no original flagged a duplicate", not flagged,
                       f"{len(flagged)} of {len(originals)} flagged"))  # fmt: skip
        copy_ok = dup_fired.errors(201) == 0 and all(
            body and items[body["id"]]["duplicate_of"] == created_by_index[pick]["id"]
            for body, pick in zip(dup_bodies, picks, strict=True)
            if pick in created_by_index
        )
        checks.append((f"{DUPLICATES} re-saved (q70) copies flagged as their originals",
                       copy_ok, str([items[b["id"]]["duplicate_of"] if b else None
                                     for b in dup_bodies])))  # fmt: skip
        statuses = Counter(items[i]["status"] for i in originals)
        checks.append((f"{n} entries stored, submitted",
                       len(originals) == n and statuses == Counter({"submitted": n}),
                       f"{len(items)} rows; originals {dict(statuses)}"))  # fmt: skip
        codes = [item["code"] for item in items.values()]
        checks.append(("no two entries share a code", len(set(codes)) == len(codes) == len(items),
                       f"{len(set(codes))} codes for {len(items)} entries"))  # fmt: skip
        for body in dup_bodies:
            if body:
                api.call("POST", f"/api/v1/entries/{body['entry_token']}/withdraw")

        # 4b. Close, assign, score.
        closes = datetime.now(UTC) - timedelta(seconds=1)
        api.call("PUT", f"/api/v1/events/{event_id}/contest", organizer,
                 json=contest_body(args.per_entry, closes))  # fmt: skip
        assigned, assign_s = api.call("POST", f"/api/v1/events/{event_id}/judging/assign",
                                      organizer, json={"judges": judges})  # fmt: skip
        assignments = assigned.json()["assignments"]
        loads = Counter(name for a in assignments for name in a["judges"])
        balanced = (
            len(assignments) == n
            and all(len(set(a["judges"])) == args.per_entry for a in assignments)
            and max(loads.values()) - min(loads.values()) <= 1
        )
        checks.append((f"assignment: {n} entries x {args.per_entry} judges, loads within 1",
                       balanced, f"loads {sorted(loads.values())}"))  # fmt: skip
        queues, queue_s = {}, []
        for name in judges:
            queue, seconds = api.call("GET", f"/api/v1/judging/queue?event_id={event_id}",
                                      tokens[name])  # fmt: skip
            queues[name] = [item["entry_id"] for item in queue.json()["items"]]
            queue_s.append(seconds)
        score_requests = score_bodies(server.port, queues, tokens, judges)
        wait_for_quiet(server, args)
        (scored,) = send(
            server.port, [score_requests], args.judges, 600, lambda: clock(server), stagger
        )
        score_cpu = phase_cpu(scored, db, len(score_requests))
        figures["scoring"] = {**timing(scored), **score_cpu}
        show("scores", scored, score_cpu, "scores/s", 200)
        checks.append(("every score PUT 200", scored.errors(200) == 0,
                       f"{scored.errors(200)} not 200 of {len(score_requests)}"))  # fmt: skip

        # 4c. Results.
        wait_for_quiet(server, args)
        compute_s, compute_clocks = [], [clock(server)]
        for _ in range(5):
            computed, seconds = api.call(
                "POST", f"/api/v1/events/{event_id}/results/compute", organizer
            )
            compute_s.append(seconds)
        compute_clocks.append(clock(server))
        groups = computed.json()["groups"]
        in_group = Counter(created_by_index[i]["group"] for i in created_by_index)
        quota_ok, quota_detail = True, []
        for group in groups:
            count = in_group[group["group"]]
            k = math.floor(SHARE * count + 0.5)
            marked = sum(row["selected"] for row in group["ranking"])
            quota_ok &= group["entries"] == count and group["selected"] == k == marked
            quota_detail.append(f"{group['group']}: n={group['entries']} k={group['selected']}")
        quota_ok &= {g["group"] for g in groups} >= set(in_group)
        checks.append(("selected per group = floor(0.2 n + 0.5)", quota_ok,
                       "; ".join(quota_detail)))  # fmt: skip
        _, publish_s = api.call("POST", f"/api/v1/events/{event_id}/results/publish", organizer)
        figures["results"] = {
            "assign_s": assign_s,
            "queue_s": queue_s,
            "compute_s": compute_s,
            "compute_median_s": statistics.median(compute_s),
            "cores": cores(tuple(compute_clocks), with_postgres=db == "postgres"),
            "publish_s": publish_s,
            "groups": quota_detail,
        }
        print(
            f"  assign {assign_s:.2f} s; queues {statistics.median(queue_s) * 1000:.0f} ms"
            f" (median of {len(queue_s)}); results/compute median"
            f" {statistics.median(compute_s):.2f} s of {[round(s, 2) for s in compute_s]};"
            f" publish {publish_s:.2f} s",
            flush=True,
        )

        # 5. The gallery and the public results.
        path = f"/events/{event_id}/gallery"
        page = fetch(server.base + path)
        html = (
            gzip.decompress(page.body)
            if page.headers.get("content-encoding") == "gzip"
            else (page.body)
        )
        total_k = sum(group["selected"] for group in groups)
        selected_ids = {row["entry_id"] for g in groups for row in g["ranking"] if row["selected"]}
        consenting = {created_by_index[i]["id"] for i in created_by_index
                      if uploads.fields(i)["gallery_consent"] == "true"}  # fmt: skip
        shown = html.decode().count('class="gallery-item"')
        checks.append(("gallery shows the selected works with consent",
                       page.status == 200 and shown == len(selected_ids & consenting),
                       f"{shown} shown, {len(selected_ids & consenting)} expected"))  # fmt: skip
        wait_for_quiet(server, args)
        (request,) = get_requests(server.port, path, 1)
        gallery = repeat(server.port, request, args.connections, args.gallery_seconds,
                         lambda: clock(server), stagger)  # fmt: skip
        gallery_cpu = phase_cpu(gallery, db, len(gallery.statuses))
        figures["gallery"] = {
            **timing(gallery),
            **gallery_cpu,
            "bytes": len(page.body),
            "encoding": page.headers.get("content-encoding", "identity"),
        }
        show(f"gallery ({len(page.body):,} B {figures['gallery']['encoding']})", gallery,
             gallery_cpu, "req/s", 200)  # fmt: skip
        checks.append(("every gallery GET 200", gallery.errors(200) == 0,
                       f"{gallery.errors(200)} not 200"))  # fmt: skip
        public, public_s = api.call("GET", f"/api/v1/events/{event_id}/results")
        figures["results"]["public_results_s"] = public_s
        figures["results"]["public_results_bytes"] = len(public.content)
        checks.append(("public results list the selected",
                       len(public.json()["items"]) == total_k,
                       f"{len(public.json()['items'])} items, {total_k} selected"))  # fmt: skip
        print(f"  GET results: {public_s * 1000:.0f} ms ({len(public.content):,} B)")

        # 6. Stored images and final statuses.
        sample = random.Random(11).sample(sorted(created_by_index), min(EXIF_SAMPLE, n))
        bad = []
        for index in sample:
            ok, detail = stored_image_ok(api, created_by_index[index]["entry_token"], index % 2)
            if not ok:
                bad.append(f"#{index}: {detail}")
        checks.append((f"{len(sample)} stored images: no metadata, orientation applied",
                       not bad, "; ".join(bad[:3])))  # fmt: skip
        listed, _ = api.call("GET", f"/api/v1/events/{event_id}/entries", organizer)
        final = Counter(item["status"] for item in listed.json()["items"])
        expected = Counter(
            {"selected": total_k, "not_selected": n - total_k, "withdrawn": DUPLICATES}
        )
        checks.append(("after publication: selected / not selected / withdrawn",
                       final == expected, f"{dict(final)}"))  # fmt: skip
        api.http.close()
        server.stop()
    figures["checks"] = [{"check": c, "passed": ok, "detail": d} for c, ok, d in checks]
    for name, ok, detail in checks:
        print(f"    {'PASS' if ok else 'FAIL'}  {name}" + (f"  ({detail})" if detail else ""))
    return figures


def score_bodies(port: int, queues: dict, tokens: dict, judges: list[str]) -> list[bytes]:
    """Every judge's scores for their queue, the judges interleaved (as they work side by side).

    An entry has a hidden quality; judge j gives quality x spread_j + severity_j + noise per
    criterion, clamped to 1-10: a harsh judge, a lenient one, one who uses a narrow range.
    """
    rng = random.Random(20260301)
    quality = {e: rng.gauss(0, 1) for queue in queues.values() for e in queue}
    severity = [-2.0, -1.0, 0.0, 0.5, 1.0, 2.0, -0.5]
    spread = [1.5, 1.0, 2.0, 0.6, 1.2, 1.0, 1.8]
    per_judge = []
    for j, name in enumerate(judges):
        items = []
        for entry in queues[name]:
            scores = {
                c["code"]: max(1, min(10, round(5.5 + quality[entry] * spread[j % 7]
                                                + severity[j % 7] + rng.gauss(0, 0.7))))
                for c in CRITERIA
            }  # fmt: skip
            body = json.dumps({"scores": scores}).encode()
            items.append((f"/api/v1/judging/entries/{entry}/scores", tokens[name], body))
        per_judge.append(items)
    interleaved = [item for group in zip_longest(per_judge) for item in group]
    return json_requests(port, "PUT", interleaved)


def zip_longest(lists: list[list]) -> list[list]:
    longest = max(len(items) for items in lists)
    return [[items[i] for items in lists if i < len(items)] for i in range(longest)]


# --- report ----------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(all_figures: list[dict], photo_sizes: dict, alone: dict) -> None:
    print()
    print(
        f"Drawing contest — phone photos {photo_sizes['min_mb']:.1f}/{photo_sizes['median_mb']:.1f}"
        f"/{photo_sizes['max_mb']:.1f} MB (min/median/max), 4000 x 3000 JPEG q92; events serve"
        f" --workers 2; {os.cpu_count()} cores shared with the load generator"
    )
    print(
        f"images.process alone in this process: {alone['median_ms']:.0f} ms CPU per photo"
        f" (median of 5; min {alone['min_ms']:.0f}, max {alone['max_ms']:.0f})"
    )
    columns = [("db / measure", 30), ("value", 16), ("p50 ms", 9), ("p99 ms", 9)]
    columns += [("aim", 14), ("", 6), ("server", 8), ("gen", 6), ("pg", 6), ("other", 7)]
    rows = []
    for f in all_figures:
        up, sc, ga, re = f["upload"], f["scoring"], f["gallery"], f["results"]

        def cpu(phase: dict) -> list[str]:
            used = phase["cores"]
            return [f"{used[k]:.2f}" for k in ("server", "generator", "postgres", "other")]

        cpu_ms = up["server_cpu_ms_per_request"]
        compute = re["compute_median_s"]
        rows += [
            [f"{f['db']}: uploads", f"{up['rate']:.1f} /s", f"{up['p50_ms']:.0f}",
             f"{up['p99_ms']:.0f}", f">= {AIM_UPLOADS:g} /s", verdict(up["rate"] >= AIM_UPLOADS),
             *cpu(up)],
            [f"{f['db']}: server CPU per upload", f"{cpu_ms:.0f} ms", "", "",
             f"<= {AIM_CPU_MS:g} ms", verdict(cpu_ms <= AIM_CPU_MS), "", "", "", ""],
            [f"{f['db']}: generator CPU per upload", f"{up['generator_cpu_ms_per_request']:.1f} ms",
             "", "", "", "", "", "", "", ""],
            [f"{f['db']}: scores", f"{sc['rate']:.0f} /s", f"{sc['p50_ms']:.1f}",
             f"{sc['p99_ms']:.1f}", "", "", *cpu(sc)],
            [f"{f['db']}: results/compute (median 5)", f"{compute:.2f} s", "", "",
             f"< {AIM_COMPUTE_S:g} s", verdict(compute < AIM_COMPUTE_S), *cpu(re)],
            [f"{f['db']}: assign / publish", f"{re['assign_s']:.2f} / {re['publish_s']:.2f} s",
             "", "", "", "", "", "", "", ""],
            [f"{f['db']}: gallery page", f"{ga['rate']:.0f} req/s", f"{ga['p50_ms']:.1f}",
             f"{ga['p99_ms']:.1f}", f"p99 < {AIM_GALLERY_P99_MS:g}",
             verdict(ga["p99_ms"] < AIM_GALLERY_P99_MS), *cpu(ga)],
            [f"{f['db']}: GET results (once)", f"{re['public_results_s'] * 1000:.0f} ms",
             "", "", "", "", "", "", "", ""],
            [f"{f['db']}: checks", verdict(all(c["passed"] for c in f["checks"])),
             "", "", "", "", "", "", "", ""],
        ]  # fmt: skip
    print_table(columns, rows)
    print(
        "(server/gen/pg/other: CPU cores used during the phase by the server's processes, this"
        " load generator, PostgreSQL and everything else on the machine)"
    )


def main(argv: list[str] | None = None) -> int:
    args = options(argv)
    photos = make_photos(args.entries)
    sizes = sorted(path.stat().st_size / 1e6 for path in photos)
    photo_sizes = {"min_mb": sizes[0], "median_mb": statistics.median(sizes),
                   "max_mb": sizes[-1], "count": len(sizes)}  # fmt: skip
    print(
        f"{len(photos)} photos: {photo_sizes['min_mb']:.2f} / {photo_sizes['median_mb']:.2f} /"
        f" {photo_sizes['max_mb']:.2f} MB (min / median / max)"
    )
    alone = process_alone(photos)
    print(f"images.process alone: {alone['median_ms']:.0f} ms CPU per photo (median of 5)")
    databases = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    all_figures = [measure(db, args, photos) for db in databases]
    report(all_figures, photo_sizes, alone)
    out = ROOT / "var" / "bench" / f"contest-{datetime.now().strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    saved = {"args": vars(args), "photos": photo_sizes, "process_alone": alone,
             "runs": all_figures}  # fmt: skip
    out.write_text(json.dumps(saved, indent=1, ensure_ascii=False, default=str))
    print(f"figures saved: {out.relative_to(ROOT)}")
    passed = all(c["passed"] for f in all_figures for c in f["checks"])
    print(f"\nchecks: {'all PASS' if passed else 'some FAILED'}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
