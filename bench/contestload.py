"""What bench/contest.py sends: phone photos of drawings and the requests that carry them.

`make_photos(n)` draws n distinct pictures (events.demo.drawings' generator, a different seed
each) at 4000 x 3000, lays a phone camera's look over them (uneven light, paper texture, sensor
noise) and saves them as a phone does: JPEG quality 92, 3-5 MB, EXIF with the camera's make and
model, the time, GPS, and orientation 6 (the sensor's picture turned; a portrait shot) for every
other photo. They are cached under var/bench/photos/v1/ (git-ignored): made once, ~0.35 s each.

`EntryRequests` is a sequence of raw HTTP/1.1 multipart POSTs that bench/rushload.py's `fire()`
sends as it would any list of requests; each is built (file read, multipart framing) only when
it is sent, so 1,400 photos (5 GB) are never in memory at once. The cost of building it counts
in the load generator's CPU, which the caller measures.
"""

from __future__ import annotations

import asyncio
import io
import secrets
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from harness import HOST, ROOT
from PIL import Image, ImageChops
from rushload import Fired

sys.path.insert(0, str(ROOT))

PHOTOS = ROOT / "var" / "bench" / "photos" / "v1"
SIZE = (4000, 3000)  # as the sensor stores it (landscape); portrait shots carry orientation 6
QUALITY = 92
MARGIN = 96  # the sensor-noise field is this much larger than a photo: each takes a random crop
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = "小明雨欣子涵浩然思琪一诺梓萱宇轩佳怡俊杰诗雨博文若曦天佑可馨"
SCHOOLS = [
    "杭州市拱墅区实验小学",
    "杭州市卖鱼桥小学",
    "杭州市大关小学",
    "杭州市文澜中学",
    "杭州市拱宸中学",
    "杭州市安吉路实验学校",
    "杭州市长征中学",
    "杭州第十四中学",
]


def _drawing(seed: int, size: tuple[int, int]) -> Image.Image:
    try:  # the generator moved to events.demo (the demo year draws with it)
        from events.demo.drawings import drawing
    except ImportError:
        from tests.contests.drawings import drawing
    return drawing(seed, size=size)


def _sensor_noise(rng: np.random.Generator) -> Image.Image:
    """Luminance and colour noise centred on 128, a little larger than a photo (~2 s, once)."""
    width, height = SIZE[0] + MARGIN, SIZE[1] + MARGIN
    luma = rng.normal(0, 5.0, (height, width, 1)).astype(np.float32)
    chroma = rng.normal(0, 2.5, (height, width, 3)).astype(np.float32)
    return Image.fromarray((128 + luma + chroma).clip(0, 255).astype(np.uint8))


def phone_exif(seed: int, portrait: bool) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "Apple" if seed % 3 else "HUAWEI"  # Make
    exif[0x0110] = "iPhone 13" if seed % 3 else "ELS-AN00"  # Model
    exif[0x0112] = 6 if portrait else 1  # Orientation: 6 = turn 90 degrees clockwise to view
    exif[0x0131] = "17.4.1"  # Software
    exif[0x0132] = f"2026:03:{1 + seed % 28:02d} 10:{seed % 60:02d}:00"  # DateTime
    exif[0x8825] = {  # GPS: somewhere in Gongshu, as a phone writes it
        1: "N",
        2: (30.0, 19.0, 10.0 + (seed % 500) / 10),
        3: "E",
        4: (120.0, 8.0, 20.0 + (seed % 400) / 10),
        6: 12.5,
    }
    return exif


def render_photo(seed: int, noise: Image.Image) -> bytes:
    """Photo `seed`: a drawing lit unevenly, on textured paper, with sensor noise, as JPEG."""
    rng = np.random.default_rng(seed)
    width, height = SIZE
    portrait = seed % 2 == 1
    picture = _drawing(seed, (height, width) if portrait else (width, height))
    if portrait:  # the sensor's pixels: turned back 90 degrees; the EXIF orientation undoes it
        picture = picture.transpose(Image.Transpose.ROTATE_90)
    light = (rng.uniform(0.80, 1.0, (3, 4)) * 255).astype(np.uint8)  # a lamp, a window
    light_field = Image.fromarray(light).resize(SIZE, Image.Resampling.BICUBIC).convert("RGB")
    picture = ImageChops.multiply(picture, light_field)
    paper = (128 + rng.normal(0, 6, (300, 400))).clip(0, 255).astype(np.uint8)
    paper_field = Image.fromarray(paper).resize(SIZE, Image.Resampling.BICUBIC).convert("RGB")
    picture = ImageChops.add(picture, paper_field, 1.0, -128)
    dx, dy = (int(value) for value in rng.integers(0, MARGIN, 2))
    picture = ImageChops.add(picture, noise.crop((dx, dy, dx + width, dy + height)), 1.0, -128)
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=QUALITY, exif=phone_exif(seed, portrait))
    return out.getvalue()


def photo_path(seed: int) -> Path:
    return PHOTOS / f"photo-{seed:05d}.jpg"


def make_photos(count: int) -> list[Path]:
    """Photos 0..count-1, made where missing (written atomically), cached for the next run."""
    PHOTOS.mkdir(parents=True, exist_ok=True)
    missing = [seed for seed in range(count) if not photo_path(seed).exists()]
    if missing:
        print(f"making {len(missing)} phone photos in {PHOTOS} (once; ~0.35 s each) ...")
        began = time.monotonic()
        noise = _sensor_noise(np.random.default_rng(20260301))
        for done, seed in enumerate(missing, 1):
            temporary = photo_path(seed).with_suffix(".tmp")
            temporary.write_bytes(render_photo(seed, noise))
            temporary.rename(photo_path(seed))
            if done % 100 == 0:
                print(f"  {done}/{len(missing)} in {time.monotonic() - began:.0f} s", flush=True)
        print(f"  made {len(missing)} in {time.monotonic() - began:.0f} s")
    return [photo_path(seed) for seed in range(count)]


def resaved(path: Path, quality: int = 70) -> bytes:
    """The same photo re-saved at a lower JPEG quality (its EXIF, orientation included, kept)."""
    with Image.open(path) as image:
        exif = image.info.get("exif", b"")
        out = io.BytesIO()
        image.save(out, "JPEG", quality=quality, exif=exif)
    return out.getvalue()


# --- the entries' fields and requests ----------------------------------------------------------


def child_name(number: int) -> str:
    surname = SURNAMES[number % len(SURNAMES)]
    first = GIVEN[(number // len(SURNAMES)) % len(GIVEN)]
    second = GIVEN[(number * 7 + 3) % len(GIVEN)]
    return f"{surname}{first}{second}" if number % 5 else f"{surname}{second}"


def entry_fields(number: int, phone_first: int) -> dict[str, str]:
    """A guardian's form for entry `number`: each its own guardian mobile (names may repeat)."""
    grade = 1 + (number * 5 + number // 12) % 12
    return {
        "child_name": child_name(number),
        "grade": str(grade),
        "school": SCHOOLS[number % len(SCHOOLS)],
        "guardian_name": f"{SURNAMES[(number + 3) % len(SURNAMES)]}建国",
        "guardian_phone": f"{phone_first + number:011d}",
        "title": f"运河边的家·{number}",
        "statement": "画的是外婆家门口的运河，傍晚的时候桥上有很多人散步。",
        "consent": "true",
        "gallery_consent": "false" if number % 7 == 0 else "true",
    }


def multipart(fields: dict[str, str], filename: str) -> tuple[bytes, bytes, str]:
    """(what comes before the file's bytes, what comes after, the boundary)."""
    boundary = f"----benchContest{secrets.token_hex(8)}"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="{filename}"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    )
    return "".join(parts).encode(), f"\r\n--{boundary}--\r\n".encode(), boundary


class EntryRequests(Sequence):
    """POST /api/v1/events/{id}/entries, one per photo; built when indexed (read, framed)."""

    def __init__(
        self,
        port: int,
        event_id: int,
        photos: list[Path | bytes],
        phone_first: int,
        first_number: int = 0,
    ):
        self.port, self.event_id, self.photos = port, event_id, photos
        self.phone_first, self.first_number = phone_first, first_number

    def __len__(self) -> int:
        return len(self.photos)

    def fields(self, index: int) -> dict[str, str]:
        return entry_fields(self.first_number + index, self.phone_first)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            raise TypeError("EntryRequests builds one request at a time")
        photo = self.photos[index]
        data = photo if isinstance(photo, bytes) else photo.read_bytes()
        before, after, boundary = multipart(self.fields(index), f"IMG_{index + 1000:04d}.JPG")
        head = (
            f"POST /api/v1/events/{self.event_id}/entries HTTP/1.1\r\n"
            f"Host: {HOST}:{self.port}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            f"Content-Length: {len(before) + len(data) + len(after)}\r\n\r\n"
        ).encode()
        return b"".join((head, before, data, after))


def json_requests(port: int, method: str, items: list[tuple[str, str, bytes]]) -> list[bytes]:
    """Raw requests with a JSON body: items of (path, bearer token, body)."""
    requests = []
    for path, token, body in items:
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        requests.append(head.encode() + body)
    return requests


def get_requests(port: int, path: str, count: int) -> list[bytes]:
    """`count` anonymous GETs of `path` that accept gzip (as a phone's browser does)."""
    request = f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nAccept-Encoding: gzip\r\n\r\n"
    return [request.encode()] * count


# --- sending ---------------------------------------------------------------------------------


async def _fire_staggered(port, batches, connections, limit, clock, stagger):
    """rushload.fire(), but the connections opened one at a time, `stagger` seconds apart.

    uvicorn's workers share one listening socket: a burst of connections opened at once is
    usually accepted by one worker (docs/performance.md, "Uneven workers"), which leaves the
    other idle for the whole run when the connections are kept alive. Opened apart, each is a
    race of its own between the workers, as when phones arrive one after another.
    """
    from rushload import _connect, _fire_batch

    pairs = []
    for _ in range(min(connections, max(len(batch) for batch in batches))):
        pairs.append(await _connect(port))
        await asyncio.sleep(stagger)
    results = []
    for requests in batches:
        start = clock() if clock else None
        results.append(await _fire_batch(port, pairs, requests, limit))
        results[-1].clocks = (start, clock() if clock else None)
    for _, writer in pairs:
        writer.close()
    return results


def send(port, batches, connections, limit=300.0, clock=None, stagger=0.0) -> list:
    """Each batch in turn over the same keep-alive connections (bench/rushload.py's generator
    on uvloop); with `stagger` > 0 s the connections are opened that far apart."""
    import uvloop
    from rushload import run

    if stagger <= 0:
        return run(port, batches, connections, limit, clock)
    return uvloop.run(_fire_staggered(port, batches, connections, limit, clock, stagger))


async def _repeat(port, request, connections, seconds, clock, stagger, warmup) -> Fired:
    from rushload import REQUEST_TIMEOUT, _connect, _read_response

    pairs = []
    for _ in range(connections):
        pairs.append(await _connect(port))
        await asyncio.sleep(stagger)
    statuses: list[int] = []
    latencies: list[float] = []
    failures: list[str] = []

    async def client(slot: int, until: float, keep: bool) -> None:
        reader, writer = pairs[slot]
        while time.perf_counter() < until:
            began = time.perf_counter()
            try:
                writer.write(request)
                status, _ = await asyncio.wait_for(_read_response(reader), REQUEST_TIMEOUT)
            except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as error:
                status = 0
                if len(failures) < 10:
                    failures.append(f"{type(error).__name__} {error}")
                writer.close()
                reader, writer = pairs[slot] = await _connect(port)
            if keep:
                statuses.append(status)
                latencies.append(time.perf_counter() - began)

    for length, keep in ((warmup, False), (seconds, True)):
        start = clock() if clock else None
        began = time.perf_counter()
        await asyncio.gather(*(client(slot, began + length, keep) for slot in range(connections)))
        elapsed = time.perf_counter() - began
    for _, writer in pairs:
        writer.close()
    fired = Fired(elapsed, statuses, latencies, [b""] * len(statuses), failures)
    fired.clocks = (start, clock() if clock else None)
    return fired


def repeat(port, request, connections, seconds, clock=None, stagger=0.0, warmup=1.0) -> Fired:
    """The same request over and over from `connections` keep-alive connections for `seconds`
    (after `warmup` s unmeasured), keeping statuses and latencies but no bodies."""
    import uvloop

    return uvloop.run(_repeat(port, request, connections, seconds, clock, stagger, warmup))
