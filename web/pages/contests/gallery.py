"""The public gallery of selected works (with the guardian's gallery consent), behind the same
page cache as the catalogue: a cache hit runs no query."""

from __future__ import annotations

from litestar import Controller, Request, Response, get
from litestar.params import FromPath

from events.contests import config, results
from events.core.errors import NotFound
from events.core.i18n import current_locale
from events.core.i18n import gettext as _
from events.scheduling import scheduling
from web.media import media_url
from web.pages.catalogue import _html
from web.templating import render


def gallery_items(rows: list[dict], groups: dict[str, str]) -> list[dict]:
    return [
        {
            "code": row["code"],
            "group": groups.get(row["group_code"], row["group_code"]),
            "group_code": row["group_code"],
            "title": row["title"],
            "child": results.mask_name(row["child_name"]),
            "award": row["award"],
            "statement": row["statement"],
            "thumbnail": media_url(None, row["thumbnail_key"], absolute=False),
            "screen": media_url(None, row["screen_key"], absolute=False),
        }
        for row in rows
        if row["gallery_consent"] and not row["erased_at"] and row["thumbnail_key"]
    ]


class GalleryController(Controller):
    tags = ["pages"]
    include_in_schema = False

    @get("/events/{event_id:int}/gallery", name="gallery")
    async def gallery(self, request: Request, event_id: FromPath[int]) -> Response:
        key = ("gallery", current_locale.get(), event_id)

        async def build() -> str:
            event = await scheduling.get_event(event_id)
            contest = await config.load(event_id)
            if event["kind"] != "contest":
                raise NotFound(_("没有这个比赛"))
            groups = {g["code"]: g["name"] for g in contest["groups"]}
            published = contest["published_at"] is not None and contest["gallery"]
            rows = await results.public_results(event_id) if published else []
            items = gallery_items(rows, groups)
            return render(
                "contests/gallery.html",
                event=event,
                published=published,
                items=items,
                groups=[g for g in sorted(contest["groups"], key=lambda g: g["min_grade"])],
                selected=len(rows),
                path=f"/events/{event_id}/gallery",
            )

        return await _html(request, key, build)
