"""Experiments for the registration rush: the app with one change patched in, NOT the app.

`bench/rush.py --experiment VARIANTS` serves `rushexp:create_app` under uvicorn the way
`events serve --workers 2 --quiet` does, with RUSH_EXPERIMENT=VARIANTS (comma-separated):

- `nolimiter`: `web.ratelimit.check_registration` and `registered` do nothing (what the
  `limits` in-memory storage costs: its timer thread walks every key every 10 ms);
- `switch=S`: `sys.setswitchinterval(S)` in each worker (how long a thread waits for the
  GIL before asking the running one to let go; Python's default is 0.005 s);

(The `sqlite-one-hop` and `pg-gate=K` experiments of issue 3 became the app, then the one-hop
writer was removed again for one registration workflow: see docs/performance.md.)
"""

from __future__ import annotations

import os
import sys
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


def create_app():
    variants = [value for value in os.environ.get("RUSH_EXPERIMENT", "").split(",") if value]
    for variant in variants:
        if variant == "nolimiter":
            from web import ratelimit

            ratelimit.check_registration = lambda ip, phone: None
            ratelimit.registered = lambda phone: None
        elif variant.startswith("switch="):
            sys.setswitchinterval(float(variant.partition("=")[2]))
        else:
            raise SystemExit(f"unknown experiment {variant!r}")
    from web.app import create_app as create

    return create()
