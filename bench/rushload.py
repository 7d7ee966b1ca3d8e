"""An HTTP/1.1 load generator that sends exactly N distinct POSTs over C keep-alive connections.

wrk sends as many requests as it can for a duration; a registration rush needs exactly N
requests, each with its own phone number, and every response body (the waitlist positions).
This generator opens C connections to 127.0.0.1 first, then C tasks take the next request
number from a shared counter until N are sent: C requests in flight at every moment until the
end, as with wrk. The requests are built before the clock starts; the bodies are parsed after
it stops. It runs on uvloop (as the server does) and its CPU time is measured by the caller.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import time
from dataclasses import dataclass, field

from harness import HOST

CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)", re.IGNORECASE)
CHUNKED = re.compile(rb"\r\ntransfer-encoding:\s*chunked", re.IGNORECASE)
REQUEST_TIMEOUT = 60.0  # s, per request


def phone(number: int) -> str:
    """A distinct mainland mobile number `13xxxxxxxxx` for each number < 10**9."""
    return f"13{number:09d}"


def registration_requests(port: int, event_id: int, count: int, first: int = 0) -> list[bytes]:
    """`count` POST /api/v1/events/{id}/registrations, phones and names numbered from `first`."""
    head = (
        f"POST /api/v1/events/{event_id}/registrations HTTP/1.1\r\n"
        f"Host: {HOST}:{port}\r\nContent-Type: application/json\r\n"
    )
    requests = []
    for number in range(first, first + count):
        body = json.dumps(
            {"name": f"抢票者{number:05d}", "phone": phone(number)}, ensure_ascii=False
        ).encode()
        requests.append(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
    return requests


def percentile(latencies: list[float], fraction: float) -> float:
    """The latency in ms at `fraction` (0.5, 0.99) of `latencies` (s), by nearest rank."""
    ordered = sorted(latencies)
    return ordered[min(max(math.ceil(fraction * len(ordered)) - 1, 0), len(ordered) - 1)] * 1000


@dataclass
class Fired:
    """What N requests got: per request (in request order) status, latency and body."""

    seconds: float  # wall clock from the first request sent to the last response read
    statuses: list[int]  # 0: no response (connection error or timeout)
    latencies: list[float]  # seconds
    bodies: list[bytes]
    failures: list[str] = field(default_factory=list)  # connection errors, first 10
    clocks: tuple = (None, None)  # clock() as the batch started and ended

    @property
    def rate(self) -> float:
        return len(self.statuses) / self.seconds

    def percentile(self, fraction: float) -> float:
        return percentile(self.latencies, fraction)

    def errors(self, expected: int = 201) -> int:
        return sum(status != expected for status in self.statuses)

    def json_bodies(self) -> list[dict | None]:
        parsed: list[dict | None] = []
        for status, body in zip(self.statuses, self.bodies, strict=True):
            try:
                parsed.append(json.loads(body) if status else None)
            except ValueError:
                parsed.append(None)
        return parsed


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = CONTENT_LENGTH.search(head)
    if length:
        return status, await reader.readexactly(int(length.group(1)))
    if CHUNKED.search(head):
        body = bytearray()
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            body += await reader.readexactly(size + 2)
            del body[-2:]
        await reader.readuntil(b"\r\n")
        return status, bytes(body)
    return status, b""  # 204/304: no body


async def _connect(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.wait_for(asyncio.open_connection(HOST, port), timeout=10)


async def fire(
    port: int, batches: list[list[bytes]], connections: int, limit: float, clock=None
) -> list[Fired]:
    """Send each batch of requests in turn over the same `connections` keep-alive connections
    (a warm-up, then the measured requests, say), each batch in at most `limit` seconds (then
    what is left counts as failed). `clock()`, if given, is called as each batch starts and
    ends; its two values are kept in `Fired.clocks`."""
    size = min(connections, max(len(batch) for batch in batches))
    pairs = list(await asyncio.gather(*(_connect(port) for _ in range(size))))
    results = []
    for requests in batches:
        start = clock() if clock else None
        results.append(await _fire_batch(port, pairs, requests, limit))
        results[-1].clocks = (start, clock() if clock else None)
    for _, writer in pairs:
        writer.close()
    return results


async def _fire_batch(port: int, pairs: list, requests: list[bytes], limit: float) -> Fired:
    count = len(requests)
    statuses = [0] * count
    latencies = [0.0] * count
    bodies = [b""] * count
    failures: list[str] = []
    next_number = 0

    async def client(slot: int) -> None:
        nonlocal next_number
        reader, writer = pairs[slot]
        while next_number < count:
            number = next_number
            next_number += 1
            began = time.perf_counter()
            try:
                writer.write(requests[number])
                status, body = await asyncio.wait_for(
                    _read_response(reader), timeout=REQUEST_TIMEOUT
                )
            except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as error:
                latencies[number] = time.perf_counter() - began
                if len(failures) < 10:
                    failures.append(f"request {number}: {type(error).__name__} {error}")
                writer.close()
                reader, writer = pairs[slot] = await _connect(port)  # a new one for the next
                continue
            latencies[number] = time.perf_counter() - began
            statuses[number], bodies[number] = status, body

    began = time.perf_counter()
    tasks = [asyncio.ensure_future(client(slot)) for slot in range(min(len(pairs), count))]
    try:
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=limit)
    except TimeoutError:
        failures.append(f"stopped after {limit:g} s with requests unanswered")
    seconds = time.perf_counter() - began
    return Fired(seconds, statuses, latencies, bodies, failures)


def run(
    port: int, batches: list[list[bytes]], connections: int, limit: float = 300, clock=None
) -> list[Fired]:
    """`fire()` on a new uvloop event loop (asyncio's own when uvloop is missing)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(fire(port, batches, connections, limit, clock))
    return uvloop.run(fire(port, batches, connections, limit, clock))
