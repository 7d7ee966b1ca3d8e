"""An event's registrations and custom questions, for organizers and admins.

`events.registration.admin` validates, locks, audits and queues the messages; these handlers
parse the forms, render, clear the public page cache after a write and redirect back with the
list's filters kept.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from events.core import numbers
from events.core.errors import Conflict, Invalid
from events.core.i18n import N_
from events.core.i18n import gettext as _
from events.core.timeutil import now
from events.door import undo
from events.registration import admin
from events.scheduling.scheduling import get_event
from web.caching import invalidate_public_pages
from web.guards import organizer_or_admin
from web.pages import audit_view, forms
from web.pages.manage import FormData, page

PAGE_SIZE = 50
BLANK_ROWS = 3
SEARCH_MAX = 50
STATUS_LABELS = {"confirmed": N_("已确认"), "waitlisted": N_("候补"), "cancelled": N_("已取消")}
CHECK_LABELS = {"checked_in": N_("已确认 · 已签到"), "not_checked_in": N_("已确认 · 未签到")}
KIND_LABELS = {"text": N_("填空"), "single": N_("单选"), "multiple": N_("多选")}
CANCELLED_BY = {"self": N_("本人取消"), "organizer": N_("组织者取消"), "event": N_("活动取消")}
DONE = {
    "cancelled": N_("已取消这条报名；空出的名额如有人数合适的候补，已按顺序自动递补。"),
    "restored": N_("报名已恢复，状态为已确认。"),
    "restored_waitlisted": N_("报名已恢复，但名额不足，已排在候补末尾。"),
    "moved": N_("已移到另一场活动，票据链接不变。"),
    "questions": N_("报名问题已保存。"),
    "checkin_undone": N_("已撤销签到。"),
}


def _filters(values: dict[str, Any]) -> dict[str, Any]:
    """The list's filters from a query or a form: status, search text, page."""
    status = values.get("status")
    text = str(values.get("q") or "").strip()[:SEARCH_MAX]
    number = numbers.whole(str(values.get("page") or "1"))
    return {
        "status": status if status in admin.STATUSES or status in admin.CHECK_FILTERS else None,
        "q": text or None,
        "page": number if number is not None and 0 < number <= 10_000 else 1,
    }


def list_url(event_id: int, filters: dict[str, Any], **change: Any) -> str:
    query = {key: value for key, value in {**filters, **change}.items() if value}
    if query.get("page") == 1:
        query.pop("page")
    path = f"/manage/events/{event_id}/registrations"
    return f"{path}?{urlencode(query)}" if query else path


def _back(event_id: int, data: dict[str, str], done: str) -> Redirect:
    return Redirect(path=list_url(event_id, _filters(data), done=done), status_code=303)


async def list_page(
    request: Request,
    event_id: int,
    filters: dict[str, Any],
    error: str | None = None,
    status_code: int = 200,
) -> Template:
    offset = (filters["page"] - 1) * PAGE_SIZE
    listing = await admin.list_registrations(
        event_id, filters["status"], filters["q"], limit=PAGE_SIZE, offset=offset
    )
    event = listing["event"]
    editable = event["status"] == "published" and event["ends_at"] > now()
    moving = request.query_params.get("move")
    mover = None
    if editable and numbers.is_digits(moving):
        mover = next((row for row in listing["rows"] if str(row["id"]) == moving), None)
    done = request.query_params.get("done")
    return page(
        request,
        "registrations.html",
        status_code=status_code,
        event=event,
        badge=forms.state_badge(event),
        counts=listing["counts"],
        seats_left=max(event["capacity"] - event["confirmed"], 0),
        rows=listing["rows"],
        total=listing["total"],
        filters=filters,
        pages=max((listing["total"] + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        list_url=lambda **change: list_url(event_id, filters, **change),
        editable=editable,
        mover=mover,
        targets=await admin.move_targets(event_id) if mover else [],
        has_answers=any(row["answers"] for row in listing["rows"]),
        has_company=event["ask_company"] or any(row["company"] for row in listing["rows"]),
        status_labels={key: _(text) for key, text in STATUS_LABELS.items()},
        check_labels={key: _(text) for key, text in CHECK_LABELS.items()},
        cancelled_by={key: _(text) for key, text in CANCELLED_BY.items()},
        form_error=error,
        notice=_(DONE[done]) if done in DONE else None,
        history=await audit_view.for_event_registrations(event_id),
    )


def _question_rows(questions: list[dict]) -> list[dict[str, Any]]:
    """What the questions form shows: the stored questions, then blank rows."""
    rows = [
        {
            "id": str(q["id"]),
            "label": q["label"],
            "kind": q["kind"],
            "options": "\n".join(q["options"] or []),
            "required": q["required"],
            "remove": False,
        }
        for q in questions
    ]
    blank = min(BLANK_ROWS, admin.MAX_QUESTIONS - len(rows))
    empty = {"id": "", "label": "", "kind": "text", "options": "", "required": False}
    return rows + [{**empty, "remove": False}] * blank  # read only: one dict may repeat


def _submitted_rows(data: dict[str, str]) -> list[dict[str, Any]]:
    """The question rows as typed; `rows` says how many the form had."""
    count = numbers.whole(data.get("rows") or "") or 0
    rows = []
    for index in range(min(count, admin.MAX_QUESTIONS + BLANK_ROWS)):
        prefix = f"q{index}_"
        rows.append(
            {
                "id": (data.get(prefix + "id") or "").strip(),
                "label": data.get(prefix + "label") or "",
                "kind": data.get(prefix + "kind") or "text",
                "options": (data.get(prefix + "options") or "").replace("\r\n", "\n"),
                "required": forms.checked(data, prefix + "required"),
                "remove": forms.checked(data, prefix + "remove"),
            }
        )
    return rows


def _to_service(rows: list[dict[str, Any]]) -> tuple[list[dict], list[int]]:
    """The questions for `set_questions`, and the form row of each (for the error messages)."""
    questions, origin = [], []
    for index, row in enumerate(rows):
        blank = not row["id"] and not row["label"].strip() and not row["options"].strip()
        if row["remove"] or blank:
            continue
        question = {
            "label": row["label"],
            "kind": row["kind"],
            "options": row["options"].split("\n"),
            "required": row["required"],
            "id": numbers.whole(row["id"]),
        }
        questions.append(question)
        origin.append(index)
    return questions, origin


async def questions_page(
    request: Request,
    event_id: int,
    rows: list[dict[str, Any]] | None = None,
    errors: dict[str, str] | None = None,
    form_error: str | None = None,
    status_code: int = 200,
) -> Template:
    event = await get_event(event_id, include_unpublished=True)
    done = request.query_params.get("done")
    counts = await admin.counts(event_id)
    return page(
        request,
        "questions.html",
        status_code=status_code,
        event=event,
        rows=rows if rows is not None else _question_rows(await admin.questions_of(event_id)),
        errors=errors or {},
        form_error=form_error,
        registered=sum(item["count"] for item in counts.values()),
        kind_options=[(key, _(text)) for key, text in KIND_LABELS.items()],
        limits={"label": admin.MAX_LABEL, "option": admin.MAX_OPTION, "max": admin.MAX_OPTIONS},
        notice=_(DONE[done]) if done in DONE else None,
    )


class ManageRegistrationsController(Controller):
    path = "/manage/events/{event_id:int}"
    guards = [organizer_or_admin]
    include_in_schema = False

    @get("/registrations", name="manage_registrations")
    async def registrations(
        self,
        request: Request,
        event_id: FromPath[int],
        status: Annotated[str | None, QueryParameter(max_length=16)] = None,
        q: Annotated[str | None, QueryParameter(max_length=100)] = None,
        page_number: Annotated[int, QueryParameter(name="page", ge=1, le=10_000)] = 1,
    ) -> Template:
        filters = _filters({"status": status, "q": q, "page": str(page_number)})
        return await list_page(request, event_id, filters)

    async def _act(self, request: Request, event_id: int, data: dict, done: str, action) -> Any:
        """Run the action; its result (a str) names the notice when it has one, else `done`."""
        try:
            outcome = await action()
        except (Conflict, Invalid) as error:
            status_code = 422 if isinstance(error, Invalid) else 409
            return await list_page(request, event_id, _filters(data), error.detail, status_code)
        invalidate_public_pages()
        return _back(event_id, data, outcome if isinstance(outcome, str) else done)

    @post("/registrations/{registration_id:int}/cancel", name="manage_registration_cancel")
    async def cancel(
        self,
        request: Request,
        event_id: FromPath[int],
        registration_id: FromPath[int],
        data: FormData,
    ) -> Template | Redirect:
        if not forms.checked(data, "confirm"):
            message = _("请勾选确认后再取消这条报名")
            return await list_page(request, event_id, _filters(data), message, 422)
        reason = data.get("reason") or ""

        async def action():
            await admin.organizer_cancel(registration_id, request.user, reason, event_id)

        return await self._act(request, event_id, data, "cancelled", action)

    @post("/registrations/{registration_id:int}/undo-checkin", name="manage_checkin_undo")
    async def undo_checkin(
        self,
        request: Request,
        event_id: FromPath[int],
        registration_id: FromPath[int],
        data: FormData,
    ) -> Template | Redirect:
        async def action():
            await undo.undo(
                event_id, registration_id, request.user, "organizer-page", data.get("reason")
            )

        return await self._act(request, event_id, data, "checkin_undone", action)

    @post("/registrations/{registration_id:int}/restore", name="manage_registration_restore")
    async def restore(
        self,
        request: Request,
        event_id: FromPath[int],
        registration_id: FromPath[int],
        data: FormData,
    ) -> Template | Redirect:
        async def action() -> str:
            restored = await admin.restore(registration_id, request.user, event_id)
            return "restored_waitlisted" if restored["status"] == "waitlisted" else "restored"

        return await self._act(request, event_id, data, "restored", action)

    @post("/registrations/{registration_id:int}/move", name="manage_registration_move")
    async def move(
        self,
        request: Request,
        event_id: FromPath[int],
        registration_id: FromPath[int],
        data: FormData,
    ) -> Template | Redirect:
        target = numbers.whole(data.get("to_event") or "")
        if target is None:
            message = _("请选择要移到的活动")
            return await list_page(request, event_id, _filters(data), message, 422)

        async def action():
            await admin.move(registration_id, target, request.user, event_id)

        return await self._act(request, event_id, data, "moved", action)

    @get("/questions", name="manage_questions")
    async def questions(self, request: Request, event_id: FromPath[int]) -> Template:
        return await questions_page(request, event_id)

    @post("/questions", name="manage_questions_save")
    async def save_questions(
        self, request: Request, event_id: FromPath[int], data: FormData
    ) -> Template | Redirect:
        rows = _submitted_rows(data)
        questions, origin = _to_service(rows)
        try:
            await admin.set_questions(event_id, questions, request.user)
        except Invalid as error:
            errors = {}
            for key, message in error.fields.items():
                index, _dot, field = key.partition(".")
                at = numbers.whole(index)
                if at is not None and at < len(origin):
                    errors[f"q{origin[at]}_{field}"] = message
                else:
                    errors["form"] = message
            return await questions_page(
                request, event_id, rows, errors, error.detail, status_code=422
            )
        except Conflict as error:
            return await questions_page(request, event_id, rows, None, error.detail, 409)
        invalidate_public_pages()
        return Redirect(path=f"/manage/events/{event_id}/questions?done=questions", status_code=303)
