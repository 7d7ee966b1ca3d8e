"""The organizer's contest moderation page: the entries (filtered, paged), rejecting one
with a reason and restoring it.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from events.contests import config, entries, moderation
from events.contests.config import grade_name
from events.core import numbers, phones
from events.core.errors import Conflict, Invalid
from web.caching import invalidate_public_pages
from web.pages.contests.manage import (
    STATUS_LABELS,
    ContestManagePages,
    configured,
    page,
    thumb,
    unset,
)
from web.pages.manage import FormData


def _filters(values: dict[str, Any], groups: list[dict]) -> dict[str, Any]:
    group = values.get("group")
    status = values.get("status")
    code = str(values.get("code") or "").strip()[:16]
    number = numbers.whole(str(values.get("page") or "1"))
    return {
        "group": group if group in {g["code"] for g in groups} else None,
        "status": status if status in STATUS_LABELS else None,
        "code": code or None,
        "page": number if number is not None and 0 < number <= 10_000 else 1,
    }


def entries_url(event_id: int, filters: dict[str, Any], **change: Any) -> str:
    query = {key: value for key, value in {**filters, **change}.items() if value}
    if query.get("page") == 1:
        query.pop("page")
    path = f"/manage/events/{event_id}/entries"
    return f"{path}?{urlencode(query)}" if query else path


def moderation_row(row: dict) -> dict[str, Any]:
    return {
        "id": row["id"],
        "code": row["code"],
        "group": row["group_code"],
        "grade": grade_name(row["grade"]),
        "child_name": row["child_name"],
        "school": row["school"],
        "guardian_name": row["guardian_name"],
        "phone": phones.mask(row["guardian_phone"]),
        "title": row["title"],
        "statement": row["statement"],
        "status": row["status"],
        "reject_reason": row["reject_reason"],
        "submitted_at": row["submitted_at"],
        "thumbnail": thumb(row["thumbnail_key"]),
        "image": thumb(row["screen_key"] or row["image_key"]),
        "duplicate_of": row["duplicate_of"],
        "gallery_consent": row["gallery_consent"],
    }


class ContestModerationController(ContestManagePages):
    """/manage/events/{id}/entries: the moderation list, reject and restore."""

    @get("/entries", name="manage_contest_entries")
    async def entries_list(
        self,
        request: Request,
        event_id: FromPath[int],
        group: Annotated[str | None, QueryParameter(max_length=16)] = None,
        status: Annotated[str | None, QueryParameter(max_length=16)] = None,
        code: Annotated[str | None, QueryParameter(max_length=40)] = None,
        page_number: Annotated[int, QueryParameter(name="page", ge=1, le=10_000)] = 1,
    ) -> Template:
        values = {"group": group, "status": status, "code": code, "page": str(page_number)}
        return await self._entries(request, event_id, values)

    async def _entries(
        self,
        request: Request,
        event_id: int,
        values: dict[str, Any],
        errors: dict[int, str] | None = None,
        form_error: str | None = None,
        status_code: int = 200,
    ) -> Template:
        event, contest = await configured(event_id)
        if contest is None:
            return unset(request, event, "entries")
        filters = _filters(values, contest["groups"])
        found = await moderation.entries_page(
            event_id,
            group=filters["group"],
            status=filters["status"],
            code=filters["code"],
            page=filters["page"],
        )
        filters["page"] = found["page"]
        return page(
            request,
            "manage_entries.html",
            status_code=status_code,
            event=event,
            contest=contest,
            published=contest["published_at"] is not None,
            rows=[moderation_row(row) for row in found["rows"]],
            originals={key: moderation_row(row) for key, row in found["originals"].items()},
            total=found["total"],
            counts=found["counts"],
            group_counts=found["group_counts"],
            pages=found["pages"],
            filters=filters,
            groups=config.groups_in_order(contest),
            group_names={g["code"]: g["name"] for g in contest["groups"]},
            entries_url=lambda **change: entries_url(event_id, filters, **change),
            errors=errors or {},
            form_error=form_error,
        )

    async def _moderate(
        self, request: Request, event_id: int, entry_id: int, data: dict, done: str, action
    ) -> Template | Redirect:
        await entries.in_event(event_id, entry_id)
        try:
            await action()
        except Invalid as error:
            message = (error.fields or {}).get("reason") or error.detail
            return await self._entries(
                request, event_id, data, errors={entry_id: message}, status_code=422
            )
        except Conflict as error:
            return await self._entries(
                request, event_id, data, form_error=error.detail, status_code=409
            )
        invalidate_public_pages()
        _event, contest = await configured(event_id)
        filters = _filters(data, contest["groups"] if contest else [])
        return Redirect(path=entries_url(event_id, filters, done=done), status_code=303)

    @post("/entries/{entry_id:int}/reject", name="manage_contest_reject")
    async def reject(
        self, request: Request, event_id: FromPath[int], entry_id: FromPath[int], data: FormData
    ) -> Template | Redirect:
        async def action():
            await moderation.reject(entry_id, data.get("reason") or "", request.user)

        return await self._moderate(request, event_id, entry_id, data, "rejected", action)

    @post("/entries/{entry_id:int}/restore", name="manage_contest_restore")
    async def restore(
        self, request: Request, event_id: FromPath[int], entry_id: FromPath[int], data: FormData
    ) -> Template | Redirect:
        async def action():
            await moderation.restore(entry_id, request.user)

        return await self._moderate(request, event_id, entry_id, data, "restored", action)
