"""What the benchmarks in bench/ share: databases, servers, wrk, CPU and memory accounting.

A benchmark takes its options from `parser()`, opens a `session()` (a temporary folder and a
fresh, migrated database; removed with the servers it started at the end, on an error, Ctrl-C,
SIGTERM or SIGHUP), starts `events serve` (any number of workers) or another ASGI app in it and
loads them with `measure()`. Traffic goes to 127.0.0.1 only; wrk shares the machine's cores.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import os
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
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
TICK = os.sysconf("SC_CLK_TCK")


def parser(doc: str) -> argparse.ArgumentParser:
    """The options every benchmark takes; the description is the first paragraph of `doc`."""
    options = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    options.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    options.add_argument("--duration", type=float, default=15, help="seconds per wrk run")
    options.add_argument("--connections", type=int, default=50)
    options.add_argument("--threads", type=int, default=2, help="wrk threads")
    options.add_argument("--warmup", type=float, default=3, help="seconds of wrk before each run")
    # wrk leaves timed-out requests out of its latencies: keep --timeout above the worst p99.
    options.add_argument("--timeout", type=float, default=10, help="wrk's request timeout in s")
    options.add_argument("--wrk", default=shutil.which("wrk") or "/usr/bin/wrk")
    # Before each run, wait up to --quiet-wait s for other processes to use < --quiet-cores.
    options.add_argument("--quiet-wait", type=float, default=60)
    options.add_argument("--quiet-cores", type=float, default=0.2)
    options.add_argument("--verbose", action="store_true", help="print wrk's own output")
    return options


# --- session: folder, database, servers ------------------------------------------------------


@contextlib.contextmanager
def session(name: str, db: str) -> Iterator[Session]:
    """A temporary folder and a fresh, migrated database (PostgreSQL: `bench_<name>_<random>`).

    This process's environment points at the database too, so that `events`, imported after
    this (to insert fixture rows with Piccolo, say), builds its engine on it. Ctrl-C exits with
    130 once everything is cleaned up.
    """
    for signum in (signal.SIGTERM, signal.SIGHUP):  # exit through the cleanup below
        signal.signal(signum, lambda number, _frame: sys.exit(128 + number))
    try:
        with contextlib.ExitStack() as cleanup:
            folder = Path(tempfile.mkdtemp(prefix=f"bench_{name}_"))
            cleanup.callback(shutil.rmtree, folder, ignore_errors=True)
            if db == "sqlite":
                url = f"sqlite:///{folder / 'bench.sqlite3'}"  # sqlite:////tmp/... (absolute)
            else:
                database = f"bench_{name}_{secrets.token_hex(4)}"
                asyncio.run(_pg_admin(f'CREATE DATABASE "{database}"'))
                cleanup.callback(drop_database, database)
                url = urlsplit(PG_ADMIN_URL)._replace(path=f"/{database}").geturl()
            os.environ["EVENTS_DATABASE_URL"] = url
            os.environ["EVENTS_SECRET_KEY"] = secrets.token_urlsafe(32)
            os.environ["EVENTS_DATA_DIR"] = str(folder)
            print(f"database: {url}")
            migrate = [str(BIN / "events"), "migrate"]
            subprocess.run(migrate, cwd=ROOT, check=True, timeout=120, stdout=subprocess.DEVNULL)
            yield Session(folder, url, cleanup)
    except KeyboardInterrupt:
        print("interrupted; cleaned up", file=sys.stderr)
        sys.exit(130)


async def _pg_admin(sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(PG_ADMIN_URL, timeout=10)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def drop_database(name: str) -> None:
    try:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        print(f"dropped database {name}")
    except Exception as error:  # cleanup must not hide the original error
        print(f"warning: could not drop database {name}: {error}", file=sys.stderr)


@dataclass
class Session:
    folder: Path
    url: str  # the database's, also in os.environ["EVENTS_DATABASE_URL"]
    cleanup: contextlib.ExitStack

    def serve_events(self, workers: int = 1) -> Server:
        """`events serve --quiet` (no access log, log level warning), ready when /healthz is."""
        port = free_port()
        argv = [str(BIN / "events"), "serve", "--workers", str(workers), "--quiet"]
        return self._start("events serve", [*argv, "--port", str(port)], port, "/healthz")

    def serve_asgi(self, name: str, app: str) -> Server:
        """`app` ("module:attribute" in bench/) under uvicorn the way `events serve --quiet`
        runs it (uvloop + httptools, no access log, log level warning), ready when / is."""
        port = free_port()
        argv = [
            sys.executable, "-m", "uvicorn", app, "--app-dir", str(BENCH),
            "--host", HOST, "--port", str(port),
            "--log-level", "warning", "--no-access-log", "--proxy-headers",
        ]  # fmt: skip
        return self._start(name, argv, port, "/")

    def _start(self, name: str, argv: list[str], port: int, ready_path: str) -> Server:
        log = self.folder / f"server-{port}.log"
        with log.open("wb") as handle:
            process = subprocess.Popen(
                argv, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,  # Ctrl-C reaches this script only; it stops the server
            )  # fmt: skip
        server = Server(name, process, port, log, ready_path)
        self.cleanup.callback(server.stop)
        server.wait_ready()
        print(f"{name} on {server.base} (pid {process.pid})")
        return server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """A server subprocess, leader of its own session: its workers are in that session too."""

    name: str
    process: subprocess.Popen
    port: int
    log: Path
    ready_path: str

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def pids(self) -> list[int]:
        return [pid for pid, _, sid, _ in _processes() if sid == self.process.pid]

    def wait_ready(self) -> None:
        """Wait up to 60 s for a 200 at `ready_path`."""
        deadline = time.monotonic() + 60
        while self.process.poll() is None and time.monotonic() < deadline:
            with contextlib.suppress(OSError, http.client.HTTPException):
                if fetch(self.base + self.ready_path).status == 200:
                    return
            time.sleep(0.2)
        code = self.process.poll()
        state = "did not answer in 60 s" if code is None else f"exited with {code}"
        raise RuntimeError(f"{self.name} {state}:\n{self.log.read_text()}")

    def drain(self) -> None:
        """Wait (30 s at most) until the server has answered what wrk left in flight."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            began = time.monotonic()
            with contextlib.suppress(OSError, http.client.HTTPException):
                fetch(self.base + self.ready_path)
            if time.monotonic() - began < 0.05:
                return
            time.sleep(0.2)

    def stop(self) -> None:
        self.process.terminate()  # nothing when it has exited already
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)  # its workers too
            self.process.wait(timeout=5)


@dataclass
class Fetched:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes  # as sent on the wire (still gzip-compressed when Content-Encoding is gzip)


def fetch(url: str) -> Fetched:
    """GET `url` (on 127.0.0.1) with `Accept-Encoding: gzip`."""
    parts = urlsplit(url)
    assert parts.hostname == HOST
    connection = http.client.HTTPConnection(HOST, parts.port, timeout=10)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request("GET", path, headers={"Accept-Encoding": "gzip"})
        response = connection.getresponse()
        headers = {key.lower(): value for key, value in response.getheaders()}
        return Fetched(response.status, headers, response.read())
    finally:
        connection.close()


# --- CPU and memory --------------------------------------------------------------------------


def _processes() -> Iterator[tuple[int, str, int, int]]:
    """(pid, command name, session id, CPU ticks used) of every process."""
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as handle:
                head, _, rest = handle.read().rpartition(")")
        except OSError:
            continue
        pid, fields = int(entry.name), rest.split()
        yield pid, head.partition("(")[2], int(fields[3]), int(fields[11]) + int(fields[12])


def cpu_clock(server: Server | None) -> dict[str, float]:
    """CPU seconds used so far by the whole machine ("busy"), the server's processes (none if
    None), this script's reaped children (wrk) and every `postgres`; "at": the wall clock."""
    ticks = {"server": 0, "postgres": 0}
    for _, name, sid, used in _processes():
        if server is not None and sid == server.process.pid:
            ticks["server"] += used
        elif name == "postgres":
            ticks["postgres"] += used
    with open("/proc/stat") as handle:
        machine = [int(value) for value in handle.readline().split()[1:9]]
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "at": time.monotonic(),
        "busy": (sum(machine) - machine[3] - machine[4]) / TICK,  # all but idle and iowait
        "server": ticks["server"] / TICK,
        "wrk": children.ru_utime + children.ru_stime,
        "postgres": ticks["postgres"] / TICK,
    }


def cores_used(start: dict, end: dict, with_postgres: bool) -> dict[str, float]:
    """Cores used between two `cpu_clock()`s by the server, wrk, PostgreSQL (when it is part of
    what is measured) and other processes: the machine's busy time minus the others'. Other
    work on the machine (tests, browsers) skews a benchmark on 2 cores: this shows it."""
    wall = max(end["at"] - start["at"], 1e-6)
    used = {name: (end[name] - start[name]) / wall for name in ("server", "wrk", "postgres")}
    if not with_postgres:
        used["postgres"] = 0.0
    used["other"] = max((end["busy"] - start["busy"]) / wall - sum(used.values()), 0.0)
    return used


def wait_for_quiet(server: Server | None, args: argparse.Namespace) -> None:
    """Wait (at most --quiet-wait s) until other processes use < --quiet-cores."""
    deadline = time.monotonic() + args.quiet_wait
    while True:
        start = cpu_clock(server)
        time.sleep(1.0)
        foreign = cores_used(start, cpu_clock(server), with_postgres=False)["other"]
        if foreign < args.quiet_cores or time.monotonic() >= deadline:
            if foreign >= args.quiet_cores:
                print(f"  (machine still busy: {foreign:.2f} cores used by other processes)")
            return


def memory(pid: int) -> tuple[int, int]:
    """A process's resident memory in bytes, now and at its peak: /proc's VmRSS and VmHWM."""
    with open(f"/proc/{pid}/status") as handle:
        values = dict(line.split(":", 1) for line in handle)
    return int(values["VmRSS"].split()[0]) * 1024, int(values["VmHWM"].split()[0]) * 1024


def reset_peak(pid: int) -> None:
    """Bring a process's peak (VmHWM) down to its current RSS, to measure one operation's."""
    with open(f"/proc/{pid}/clear_refs", "w") as handle:
        handle.write("5")


# --- wrk -------------------------------------------------------------------------------------

UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass
class WrkResult:
    label: str
    rps: float
    p50: float  # ms
    p99: float  # ms
    requests: int
    errors: list[str]  # wrk's "Socket errors" and "Non-2xx or 3xx responses" lines
    bytes_per_response: int | None = None
    cpu: dict[str, float] = field(default_factory=dict)  # cores: server, wrk, postgres, other


def parse_wrk(output: str, label: str) -> WrkResult:
    def find(pattern: str) -> tuple[str, ...]:
        found = re.search(pattern, output, re.MULTILINE)
        if not found:
            raise RuntimeError(f"could not parse wrk output:\n{output}")
        return found.groups()

    def ms(percentile: str) -> float:
        number, unit = find(rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s|m)\s*$")
        return float(number) * UNITS_MS[unit]

    errors = re.findall(r"^\s*((?:Socket errors|Non-2xx or 3xx responses):.*?)\s*$", output, re.M)
    (rps,) = find(r"Requests/sec:\s+([\d.]+)")
    (requests,) = find(r"(\d+) requests in")
    return WrkResult(label, float(rps), ms("50"), ms("99"), int(requests), errors)


def run_wrk(url: str, args: argparse.Namespace, duration: float, script: Path | None) -> str:
    argv = [args.wrk, f"-t{args.threads}", f"-c{args.connections}", f"-d{duration:g}s"]
    argv += ["--timeout", f"{args.timeout:g}s", "--latency", "-H", "Accept-Encoding: gzip"]
    argv += ["-s", str(script), url] if script else [url]
    done = subprocess.run(
        argv, capture_output=True, text=True, timeout=duration + 60, check=True
    )  # bounded: wrk stops after `duration`, the timeout catches a hang
    return done.stdout


def measure(
    label: str,
    server: Server,
    path: str,
    args: argparse.Namespace,
    uses_db: bool = True,
    script: Path | None = None,
) -> WrkResult:
    """wrk against `path` after a warm-up, once the machine is quiet; prints a line.

    `script` is a wrk Lua script (to send POSTs, say); without one, a GET first checks for a
    200 and weighs the body.
    """
    url = server.base + path
    first = None if script else fetch(url)
    if first and first.status != 200:
        raise RuntimeError(f"{url} answered {first.status}: {first.body[:300]!r}")
    wait_for_quiet(server, args)
    if args.warmup > 0:
        run_wrk(url, args, args.warmup, script)
    start = cpu_clock(server)
    output = run_wrk(url, args, args.duration, script)
    cpu = cores_used(start, cpu_clock(server), with_postgres=uses_db and args.db == "postgres")
    if args.verbose:
        print(output)
    result = parse_wrk(output, label)
    result.cpu = cpu
    sent = ""
    if first:
        result.bytes_per_response = len(first.body)
        sent = f"{len(first.body):,} B {first.headers.get('content-encoding', 'identity')}; "
    cores = ", ".join(f"{name} {value:.2f}" for name, value in cpu.items())
    print(
        f"  {label:<28} {result.rps:>9.0f} req/s  p50 {result.p50:6.2f} ms  "
        f"p99 {result.p99:6.2f} ms  ({sent}CPU cores: {cores})",
        flush=True,
    )
    server.drain()
    return result


def print_table(columns: list[tuple[str, int]], rows: list[list[str]]) -> None:
    """A plain-text table of (title, width) columns: the first left-aligned, the rest right."""

    def line(cells: list[str]) -> str:
        first, *rest = zip(cells, (width for _, width in columns), strict=True)
        return f"{first[0]:<{first[1]}}" + "".join(f"{cell:>{width}}" for cell, width in rest)

    header = line([title for title, _ in columns])
    print(header)
    print("-" * len(header))
    for row in rows:
        print(line(row))
