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
    # As the catalogue's: the page cache gzips, and a cached page carries no CSRF token.
    opt = {"no_compress": True, "exclude_from_csrf": True}

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
                groups=config.groups_in_order(contest),
                selected=len(rows),
                path=f"/events/{event_id}/gallery",
            )

        return await _html(request, key, build)

    @get("/events/{event_id:int}/gallery/{code:str}", name="gallery_item")
    async def item(
        self, request: Request, event_id: FromPath[int], code: FromPath[str]
    ) -> Response:
        key = ("gallery_item", current_locale.get(), event_id, code[:20])

        async def build() -> str:
            event = await scheduling.get_event(event_id)
            contest = await config.load(event_id)
            if event["kind"] != "contest" or not contest["gallery"]:
                raise NotFound(_("没有这件作品"))
            groups = {g["code"]: g["name"] for g in contest["groups"]}
            rows = await results.public_results(event_id)
            shown = gallery_items(rows, groups)
            index = next((i for i, item in enumerate(shown) if item["code"] == code), None)
            if index is None:
                raise NotFound(_("没有这件作品"))
            return render(
                "contests/gallery_item.html",
                event=event,
                item=shown[index],
                previous=shown[index - 1] if index > 0 else None,
                following=shown[index + 1] if index + 1 < len(shown) else None,
                path=f"/events/{event_id}/gallery/{code}",
            )

        return await _html(request, key, build)
