"""The organizer's contest results page: the ranking per group, moving an entry in or out,
publishing; and the session twins of the API's entry exports and certificates PDF.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Stream, Template

from events.contests import certificates, entries, moderation, results
from events.core.errors import Conflict, Invalid
from events.core.i18n import gettext as _
from events.reporting import contest_exports
from web.caching import invalidate_public_pages
from web.downloads import spreadsheet
from web.pages import forms
from web.pages.contests.manage import (
    ContestManagePages,
    configured,
    page,
    see_other,
    thumb,
    unset,
)
from web.pages.manage import FormData
from web.requests import base_url

# Disagreement worth a second look: the judges' z-scores for an entry (their severity taken
# out) further apart than this many standard deviations. The raw spread (max − min of the
# weighted 1–10 scores) is shown too, but a harsh and a lenient judge widen it on every entry.
SPREAD_ALERT = 1.5


def results_rows(computed: dict, entries_of: dict[int, dict]) -> list[dict[str, Any]]:
    """Per group: the ranking with each entry's title, thumbnail, move, and the judges'
    disagreement in z-scores (`z_spread`, `wide` when at least SPREAD_ALERT)."""
    groups = []
    for group in computed["groups"]:
        ranking = []
        for item in group["ranking"]:
            entry = entries_of.get(item["entry_id"], {})
            zs = [p["z"] for p in item["per_judge"] if p["z"] is not None]
            z_spread = max(zs) - min(zs) if len(zs) > 1 else None
            ranking.append(
                {
                    **item,
                    "title": entry.get("title", ""),
                    "status": entry.get("status", ""),
                    "award": entry.get("award"),
                    "thumbnail": thumb(entry.get("thumbnail_key")),
                    "image": thumb(entry.get("screen_key") or entry.get("image_key")),
                    "override": entry.get("override"),
                    "override_reason": entry.get("override_reason") or "",
                    "z_spread": z_spread,
                    "wide": z_spread is not None and z_spread >= SPREAD_ALERT,
                    "moved": item["selected"] != item["by_rule"],
                }
            )
        groups.append(
            {
                **group,
                "ranking": ranking,
                "unscored": [r for r in ranking if r["judges"] == 0],
                "moved_in": sum(1 for r in ranking if r["moved"] and r["selected"]),
                "moved_out": sum(1 for r in ranking if r["moved"] and not r["selected"]),
            }
        )
    return groups


class ContestResultsController(ContestManagePages):
    """/manage/events/{id}/results, publication, and the entry exports and certificates."""

    @get("/results", name="manage_contest_results")
    async def results_page(
        self,
        request: Request,
        event_id: FromPath[int],
        group: Annotated[str | None, QueryParameter(max_length=16)] = None,
        move: Annotated[int | None, QueryParameter(ge=1, le=2_147_483_647)] = None,
    ) -> Template:
        return await self._results(request, event_id, group, move)

    async def _results(
        self,
        request: Request,
        event_id: int,
        group: str | None = None,
        move: int | None = None,
        errors: dict[str, str] | None = None,
        typed: dict[str, str] | None = None,
        form_error: str | None = None,
        status_code: int = 200,
    ) -> Template:
        event, contest = await configured(event_id)
        if contest is None:
            return unset(request, event, "results")
        computed = await results.compute(event_id)
        ids = [r["entry_id"] for g in computed["groups"] for r in g["ranking"]]
        entries_of = await moderation.entries_by_id(event_id, ids)
        groups = results_rows(computed, entries_of)
        names = {g["code"]: g["name"] for g in contest["groups"]}
        shown = [g for g in groups if not group or g["group"] == group]
        mover = None
        if move is not None:
            mover = next((r for g in groups for r in g["ranking"] if r["entry_id"] == move), None)
        published = contest["published_at"] is not None
        return page(
            request,
            "manage_results.html",
            status_code=status_code,
            event=event,
            contest=contest,
            published=published,
            groups=shown,
            all_groups=groups,
            group=group if group in names else None,
            names=names,
            unscored=[r for g in groups for r in g["unscored"]],
            selected=sum(g["selected"] for g in groups),
            ranked=sum(g["entries"] for g in groups),
            scored=any(r["judges"] for g in groups for r in g["ranking"]),
            mover=mover,
            errors=errors or {},
            typed=typed or {},
            form_error=form_error,
            spread_alert=SPREAD_ALERT,
        )

    @post("/results/entries/{entry_id:int}/move", name="manage_contest_move")
    async def move(
        self, request: Request, event_id: FromPath[int], entry_id: FromPath[int], data: FormData
    ) -> Template | Redirect:
        await entries.in_event(event_id, entry_id)
        direction = data.get("direction") or ""
        group = data.get("group") or None
        try:
            if direction not in ("in", "out", "rule"):
                raise Invalid(_("请选择调入或调出"), {"direction": _("请选择调入或调出")})
            await results.move(
                entry_id,
                None if direction == "rule" else direction,
                data.get("reason") or "",
                request.user,
            )
        except Invalid as error:
            return await self._results(
                request,
                event_id,
                group,
                entry_id,
                errors=error.fields or {"reason": error.detail},
                typed={"direction": direction, "reason": data.get("reason") or ""},
                status_code=422,
            )
        except Conflict as error:
            return await self._results(
                request, event_id, group, form_error=error.detail, status_code=409
            )
        return see_other(f"/manage/events/{event_id}/results", "moved", group=group)

    @post("/results/publish", name="manage_contest_publish")
    async def publish(
        self, request: Request, event_id: FromPath[int], data: FormData
    ) -> Template | Redirect:
        if not forms.checked(data, "confirm"):
            return await self._results(
                request,
                event_id,
                errors={"confirm": _("请勾选确认后再发布评选结果")},
                status_code=422,
            )
        try:
            await results.publish(event_id, request.user)
        except Conflict as error:
            return await self._results(request, event_id, form_error=error.detail, status_code=409)
        invalidate_public_pages()
        return see_other(f"/manage/events/{event_id}/results", "published")

    # ---- downloads (the session twins of the API's) ---------------------------------------

    @get(
        ["/entries.xlsx", "/entries.csv"],
        name="manage_contest_entries_export",
        opt={"no_compress": True},
    )
    async def entries_export(self, request: Request, event_id: FromPath[int]) -> Stream:
        stem, columns, rows = await contest_exports.entry_export(event_id)
        kind = request.url.path.rsplit(".", 1)[1]
        return await spreadsheet(kind, stem, columns, rows, _("参赛作品"))

    @get("/certificates.pdf", name="manage_contest_certificates", media_type="application/pdf")
    async def certificates_pdf(self, request: Request, event_id: FromPath[int]) -> Response:
        pdf = await certificates.for_contest(event_id, base_url(request))
        return Response(
            pdf,
            media_type="application/pdf",
            headers={
                "Content-Disposition": f'attachment; filename="certificates-{event_id}.pdf"',
                "Cache-Control": "private, no-store",
            },
        )
