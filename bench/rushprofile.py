"""Where a registration rush spends the server's time: py-spy on every worker under load.

    .venv/bin/python bench/rushprofile.py [--db sqlite|postgres] [--registrations 12000]
        [--connections 50] [--seconds 6] [--out /tmp/rush-profile]

Same set-up as bench/rush.py (fresh database, `events serve --workers 2 --quiet`, the rate
limit per address lifted), then `py-spy record --nonblocking --format raw` on each worker for
--seconds while bench/rushload.py sends --registrations registrations. Prints the functions
with the most samples (own and inclusive) and the share per package; the raw stacks stay in
--out (`py-spy` can't be asked for an SVG from them, but https://www.speedscope.app can read
them). py-spy's sampling itself takes some CPU from the 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import re
import subprocess
import sys
from pathlib import Path

from harness import BIN, session
from rush import create_events, workers
from rushload import registration_requests, run

PACKAGES = re.compile(r"site-packages/([A-Za-z_]+)|/(events|web)/|lib/python3\.\d+/(\w+)")


def options(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--registrations", type=int, default=12000)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=6, help="0: load only, no py-spy")
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--out", type=Path, default=Path("/tmp/rush-profile"))
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--gil", action="store_true", help="py-spy --gil: GIL holders only")
    return parser.parse_args(argv)


def package(frame: str) -> str:
    found = PACKAGES.search(frame)
    if not found:
        return "other"
    return next(group for group in found.groups() if group)


def summarise(path: Path, top: int) -> None:
    own: collections.Counter = collections.Counter()
    inclusive: collections.Counter = collections.Counter()
    packages: collections.Counter = collections.Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        samples = int(count)
        frames = stack.split(";")
        total += samples
        own[frames[-1]] += samples
        packages[package(frames[-1])] += samples
        for frame in set(frames):
            inclusive[frame] += samples
    print(f"\n== {path.name}: {total} samples (active only)")
    print("-- by package (own time):")
    for name, samples in packages.most_common(15):
        print(f"  {samples / total:6.1%}  {name}")
    for title, counter in (("own", own), ("inclusive", inclusive)):
        print(f"-- top {top} functions ({title}):")
        for frame, samples in counter.most_common(top):
            print(f"  {samples / total:6.1%}  {frame[:150]}")


def main(argv: list[str] | None = None) -> int:
    args = options(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with session("rushprofile", args.db) as bench:
        ids = asyncio.run(create_events(bench.url, 200))
        os.environ["EVENTS_REGISTRATION_LIMIT_PER_IP"] = "1000000/minute"
        os.environ["EVENTS_SENDER"] = "off"
        server = bench.serve_events(workers=2)
        warm = registration_requests(server.port, ids["warmup"], 400, 500_000_000)
        rush = registration_requests(server.port, ids["rush"], args.registrations)
        run(server.port, [warm], args.connections)
        spies = []
        for pid in sorted(workers(server)) if args.seconds > 0 else []:
            output = args.out / f"{args.db}-worker-{pid}.txt"
            argv = [str(BIN / "py-spy"), "record", "--pid", str(pid), "--nonblocking"]
            argv += ["--rate", str(args.rate), "--duration", f"{args.seconds:g}"]
            argv += ["--format", "raw", "--output", str(output)] + (["--gil"] if args.gil else [])
            spies.append((output, subprocess.Popen(argv, stdout=subprocess.DEVNULL)))
        (fired,) = run(server.port, [rush], args.connections)
        for _, spy in spies:
            spy.wait(timeout=args.seconds + 30)
        print(
            f"{args.registrations} registrations in {fired.seconds:.1f} s: "
            f"{fired.rate:,.0f} reg/s, {fired.errors()} errors"
        )
        if spies and fired.seconds < args.seconds:
            print("! the load ended before py-spy did: raise --registrations")
        for output, _ in spies:
            summarise(output, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
