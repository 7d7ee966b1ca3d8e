"""CPU cost of one contest photo: `events.contests.images.process` on a phone-sized JPEG.

Makes a 4000 x 3000 photo-like JPEG (gradients, shapes and sensor-like noise, quality 92,
3-5 MB, EXIF orientation 6 with GPS and camera tags, as a phone writes it) and reports the CPU
milliseconds (time.process_time) per `process()` call over a number of calls:

    .venv/bin/python bench/images.py [--calls 20] [--format jpeg|png|webp|heif]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from events.contests import images


def photo(size: tuple[int, int] = (4000, 3000), seed: int = 1) -> Image.Image:
    """A photo of a drawing on a table: lit unevenly, some shapes, noise like a sensor's."""
    width, height = size
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    light = 0.75 + 0.25 * np.cos((x / width - 0.3) * 2.2) * np.cos((y / height - 0.4) * 1.8)
    base = np.empty((height, width, 3), np.float32)
    base[..., 0] = 235 * light
    base[..., 1] = 228 * light + 10 * np.sin(x / 400)
    base[..., 2] = 210 * light + 15 * np.cos(y / 300)
    picture = Image.fromarray(base.clip(0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(picture)
    for _ in range(60):
        x0, y0 = int(rng.integers(0, width)), int(rng.integers(0, height))
        w, h = int(rng.integers(100, 900)), int(rng.integers(100, 900))
        colour = tuple(int(c) for c in rng.integers(30, 240, 3))
        if rng.random() < 0.5:
            draw.ellipse((x0, y0, x0 + w, y0 + h), fill=colour, outline=(30, 30, 30), width=12)
        else:
            draw.rectangle((x0, y0, x0 + w, y0 + h), fill=colour, outline=(30, 30, 30), width=12)
    pixels = np.asarray(picture).astype(np.int16)
    noise = rng.normal(0, 4.5, (height, width, 1)) + rng.normal(0, 2.0, (height, width, 3))
    return Image.fromarray((pixels + noise).clip(0, 255).astype(np.uint8))


def phone_exif(image: Image.Image) -> Image.Exif:
    exif = image.getexif()
    exif[0x0112] = 6  # Orientation: the sensor's picture is to be turned 90 degrees clockwise
    exif[0x010F] = "Apple"  # Make
    exif[0x0110] = "iPhone 13"  # Model
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (31.0, 14.0, 22.5), 3: "E", 4: (121.0, 28.0, 40.1)})
    return exif


def upload(fmt: str = "jpeg") -> bytes:
    image = photo()
    buffer = io.BytesIO()
    if fmt == "jpeg":
        image.save(buffer, "JPEG", quality=92, exif=phone_exif(image))
    elif fmt == "png":
        image.save(buffer, "PNG", compress_level=1)
    elif fmt == "webp":
        image.save(buffer, "WEBP", quality=85)
    else:
        image.save(buffer, "HEIF", quality=80)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--format", choices=["jpeg", "png", "webp", "heif"], default="jpeg")
    arguments = parser.parse_args()
    data = upload(arguments.format)
    result = images.process(data)  # warm-up: imports (scipy for the hash), caches
    print(
        f"{arguments.format}: {len(data) / 1e6:.1f} MB, 4000 x 3000 -> {result.width} x "
        f"{result.height}; stored {len(result.image) // 1024} KB, screen "
        f"{len(result.screen) // 1024} KB, thumbnail {len(result.thumbnail) // 1024} KB"
    )
    cpu, wall = [], []
    for _ in range(arguments.calls):
        started_cpu, started_wall = time.process_time(), time.perf_counter()
        images.process(data)
        cpu.append((time.process_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started_wall) * 1000)
    print(
        f"{arguments.calls} calls: CPU ms per call median {statistics.median(cpu):.0f} "
        f"(min {min(cpu):.0f}, max {max(cpu):.0f}); wall ms median {statistics.median(wall):.0f}"
    )


if __name__ == "__main__":
    main()
