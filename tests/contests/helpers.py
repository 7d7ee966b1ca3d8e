"""Shared by the contest tests: a configuration body, phone photos, an entry submitted."""

from __future__ import annotations

import io
from datetime import timedelta

from PIL import Image

from events.core.timeutil import iso, now
from tests.contests.drawings import drawing

GROUPS = [
    {"code": "low", "name": "小学低年级组", "min_grade": 1, "max_grade": 3},
    {"code": "mid", "name": "小学高年级组", "min_grade": 4, "max_grade": 6},
    {"code": "high", "name": "中学组", "min_grade": 7, "max_grade": 9},
]
CRITERIA = [
    {"code": "idea", "name": "主题立意", "weight": 0.4},
    {"code": "art", "name": "艺术表现", "weight": 0.4},
    {"code": "neat", "name": "完整度", "weight": 0.2},
]
PERSONAL = ("王小明", "杭州市拱墅区实验小学", "王建国")


def contest_body(**change) -> dict:
    body = {
        "submissions_open_at": iso(now() - timedelta(days=2)),
        "submissions_close_at": iso(now() + timedelta(days=2)),
        "groups": GROUPS,
        "criteria": CRITERIA,
        "judges_per_entry": 3,
        "selection_share": 0.2,
        "max_entries_per_child": 1,
        "gallery": True,
    }
    body.update(change)
    return body


def photo(seed: int = 1, size=(1200, 900), fmt: str = "JPEG", gps: bool = True, **save) -> bytes:
    """A phone photo of a drawing: JPEG with camera and GPS tags unless told otherwise."""
    image = drawing(seed, size=size)
    out = io.BytesIO()
    if fmt == "JPEG" and gps:
        exif = Image.Exif()
        exif[0x010F] = "Apple"  # Make
        exif[0x0110] = "iPhone 15"  # Model
        gps_ifd = {1: "N", 2: (30.0, 19.0, 12.0), 3: "E", 4: (120.0, 8.0, 30.0)}
        exif[0x8825] = gps_ifd
        image.save(out, "JPEG", quality=save.pop("quality", 90), exif=exif, **save)
    else:
        image.save(out, fmt, **save)
    return out.getvalue()


def entry_fields(n: int = 1, **change) -> dict[str, str]:
    fields = {
        "child_name": f"王小明{n}" if n else PERSONAL[0],
        "grade": "2",
        "school": PERSONAL[1],
        "guardian_name": PERSONAL[2],
        "guardian_phone": f"139{n:08d}",
        "title": f"我的家乡{n}",
        "statement": "画的是运河边的家。",
        "consent": "true",
        "gallery_consent": "true",
    }
    fields.update(change)
    return {k: v for k, v in fields.items() if v is not None}


async def submit(client, event_id: int, n: int = 1, image: bytes | None = None, **change):
    files = {"image": ("drawing.jpg", image if image is not None else photo(n), "image/jpeg")}
    return await client.post(
        f"/api/v1/events/{event_id}/entries", data=entry_fields(n, **change), files=files
    )


async def make_contest(client, make_event, **change) -> dict:
    event = await make_event(kind="contest", capacity=2000, title="青少年反邪教绘画大赛")
    response = await client.put(
        f"/api/v1/events/{event['id']}/contest",
        json=contest_body(**change),
        headers=make_event.headers,
    )
    assert response.status_code == 200, response.text
    return event
