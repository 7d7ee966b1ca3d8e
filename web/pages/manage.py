"""The organizer area: event list, create/edit form, detail with actions and audit log.

Staff and judges land on a read-only workbench; the admin audit log lives here too.
Every write goes through `events.scheduling.scheduling` (which validates and audits) and
then clears the public page cache.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template

from events.core.errors import Conflict, Invalid
from events.core.i18n import gettext as _
from events.core.kinds import KINDS, ORGANIZER_UNITS, SERIES_SUGGESTIONS, STATUSES, STREETS
from events.core.timeutil import day_start, local, now
from events.core.validation import MAX_ID
from events.door import checkin, door_report
from events.scheduling import catalogue, scheduling
from events.tables import Event
from web.caching import invalidate_public_pages
from web.guards import admin_only, any_staff, organizer_or_admin
from web.pages import audit_view, forms

FormData = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
PAGE_SIZE = 50
WORKBENCH_LIMIT = 30
EDITORS = ("organizer", "admin")


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> Template:
    """A manage page: every template gets the user, the path and the flash-like notice."""
    done = request.query_params.get("done")
    context.setdefault("notice", forms.done_message(done))
    return Template(
        template_name=f"manage/{template}",
        context={"user": request.user, "path": request.url.path, **context},
        status_code=status_code,
    )


def see_other(path: str, done: str | None = None) -> Redirect:
    return Redirect(path=f"{path}?done={done}" if done else path, status_code=303)


def event_form_page(
    request: Request,
    event: dict | None,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    form_error: str | None = None,
    status_code: int = 200,
) -> Template:
    streets = list(STREETS)
    if values.get("street") and values["street"] not in streets:
        streets.insert(0, values["street"])  # a street typed through the API stays selectable
    return page(
        request,
        "event_form.html",
        status_code=status_code,
        event=event,
        form=values,
        errors=errors or {},
        form_error=form_error,
        kind_options=[(value, _(text)) for value, text in KINDS.items()],
        street_options=[(street, street) for street in streets],
        series_suggestions=SERIES_SUGGESTIONS,
        organizer_units=ORGANIZER_UNITS,
        label=forms.field_label,
    )


def _today_badge(row: dict, at) -> tuple[str, str] | None:
    """A badge for today's events that are not simply on: cancelled or already over."""
    if row["status"] == "cancelled":
        return "off", _("活动已取消")
    if row["ends_at"] <= at:
        return "off", _("已结束")
    if row["starts_at"] <= at:
        return "ok", _("进行中")
    return None


async def _door_summary(event: dict) -> dict | None:
    """Check-in figures of a published or cancelled event: counts, no-shows, recent scans."""
    if event["status"] == "draft":
        return None
    return {
        "counts": await checkin.counts(event["id"]),
        "no_shows": await door_report.no_shows(event["id"]),
        "scans": await door_report.recent_scans(event["id"], limit=20),
    }


class ManageController(Controller):
    path = "/manage"
    guards = [any_staff]
    include_in_schema = False

    @get("/", name="manage_home")
    async def home(
        self,
        request: Request,
        status: FromQuery[str | None] = None,
        kind: FromQuery[str | None] = None,
        q: Annotated[str | None, QueryParameter(max_length=100)] = None,
        past: FromQuery[bool] = False,
        page_number: Annotated[int, QueryParameter(name="page", ge=1, le=10_000)] = 1,
    ) -> Template:
        if request.user["role"] not in EDITORS:
            return await self._workbench(request)
        status = status if status in STATUSES else None
        kind = kind if kind in KINDS else None
        q = (q or "").strip() or None
        rows = await catalogue.list_events(
            kind=kind,
            search=q,
            past_only=past,
            statuses=(status,) if status else tuple(STATUSES),
            limit=PAGE_SIZE + 1,
            offset=(page_number - 1) * PAGE_SIZE,
        )
        filters = {"status": status, "kind": kind, "q": q, "past": past}
        at = now()

        def page_url(number: int) -> str:
            query = {k: v for k, v in filters.items() if v}
            if past:
                query["past"] = "true"
            if number > 1:
                query["page"] = number
            return "/manage/?" + urlencode(query)

        return page(
            request,
            "home.html",
            rows=[(row, forms.counts(row), forms.state_badge(row, at)) for row in rows[:PAGE_SIZE]],
            filters=filters,
            kinds=KINDS,
            statuses=STATUSES,
            page=page_number,
            more=len(rows) > PAGE_SIZE,
            page_url=page_url,
            filtered=bool(status or kind or q),
        )

    async def _workbench(self, request: Request) -> Template:
        # "Today" is the door's (`door_report.door_events`): events on today's date in Shanghai,
        # also the ones already over and the cancelled ones, so that /checkin and this page
        # agree; later: the published events from tomorrow on.
        at = now()
        door = await door_report.door_events(at)
        ids = [row["id"] for row in door["today"]]
        today_rows = (
            await Event.select()
            .where(Event.id.is_in(ids))
            .order_by(Event.starts_at)
            .order_by(Event.id)
            if ids
            else []
        )
        tomorrow = day_start(local(at).date() + timedelta(days=1))
        rows = await catalogue.list_events(start_from=tomorrow, limit=WORKBENCH_LIMIT)
        return page(
            request,
            "workbench.html",
            today_rows=[(row, _today_badge(row, at)) for row in today_rows],
            later_rows=[(row, None) for row in rows],
        )

    @get("/events/new", name="manage_event_new", guards=[organizer_or_admin])
    async def new_event(self, request: Request) -> Template:
        return event_form_page(request, None, forms.event_form_values(None))

    @post("/events/new", name="manage_event_create", guards=[organizer_or_admin])
    async def create_event(self, request: Request, data: FormData) -> Template | Redirect:
        raw = forms.event_raw(data, creating=True)
        try:
            event = await scheduling.create_event(raw, request.user)
        except Invalid as error:
            return event_form_page(
                request,
                None,
                forms.submitted_values(data),
                errors=forms.event_field_errors(error, raw),
                status_code=422,
            )
        invalidate_public_pages()
        return see_other(f"/manage/events/{event['id']}", "created")

    @get("/events/{event_id:int}", name="manage_event", guards=[organizer_or_admin])
    async def event_detail(self, request: Request, event_id: FromPath[int]) -> Template:
        return await self._detail(request, event_id)

    async def _detail(
        self,
        request: Request,
        event_id: int,
        error: str | None = None,
        errors: dict[str, str] | None = None,
        days: str = "7",
        status_code: int = 200,
    ) -> Template:
        event = await scheduling.get_event(event_id, include_unpublished=True)
        return page(
            request,
            "event_detail.html",
            door=await _door_summary(event),
            status_code=status_code,
            event=event,
            counts=forms.counts(event),
            badge=forms.state_badge(event),
            history=await audit_view.for_object("event", event_id),
            form_error=error,
            errors=errors or {},
            days=days,
        )

    @get("/events/{event_id:int}/edit", name="manage_event_edit", guards=[organizer_or_admin])
    async def edit_event(self, request: Request, event_id: FromPath[int]) -> Template:
        event = await scheduling.get_event(event_id, include_unpublished=True)
        return event_form_page(request, event, forms.event_form_values(event))

    @post("/events/{event_id:int}/edit", name="manage_event_save", guards=[organizer_or_admin])
    async def save_event(
        self, request: Request, event_id: FromPath[int], data: FormData
    ) -> Template | Redirect:
        event = await scheduling.get_event(event_id, include_unpublished=True)
        raw = forms.event_raw(data, creating=False)
        try:
            saved = await scheduling.update_event(event_id, raw, request.user)
        except Invalid as error:
            return event_form_page(
                request,
                event,
                forms.submitted_values(data),
                errors=forms.event_field_errors(error, raw),
                status_code=422,
            )
        except Conflict as error:
            return event_form_page(
                request,
                event,
                forms.submitted_values(data),
                form_error=error.detail,
                status_code=409,
            )
        invalidate_public_pages()
        done = "saved_promoted" if saved.get("promoted") else "saved"
        return see_other(f"/manage/events/{event_id}", done)

    async def _change_status(
        self, request: Request, event_id: int, status: str, done: str
    ) -> Template | Redirect:
        event = await scheduling.get_event(event_id, include_unpublished=True)
        if event["status"] == status:  # a second click changes nothing and logs nothing
            return see_other(f"/manage/events/{event_id}", done)
        try:
            await scheduling.update_event(event_id, {"status": status}, request.user)
        except Conflict as error:
            return await self._detail(request, event_id, error=error.detail, status_code=409)
        invalidate_public_pages()
        return see_other(f"/manage/events/{event_id}", done)

    @post(
        "/events/{event_id:int}/publish", name="manage_event_publish", guards=[organizer_or_admin]
    )
    async def publish_event(self, request: Request, event_id: FromPath[int]) -> Template | Redirect:
        return await self._change_status(request, event_id, "published", "published")

    @post("/events/{event_id:int}/cancel", name="manage_event_cancel", guards=[organizer_or_admin])
    async def cancel_event(
        self, request: Request, event_id: FromPath[int], data: FormData
    ) -> Template | Redirect:
        if not forms.checked(data, "confirm"):
            return await self._detail(
                request,
                event_id,
                errors={"confirm": _("请勾选确认后再取消活动")},
                status_code=422,
            )
        return await self._change_status(request, event_id, "cancelled", "cancelled")

    @post(
        "/events/{event_id:int}/duplicate",
        name="manage_event_duplicate",
        guards=[organizer_or_admin],
    )
    async def duplicate_event(
        self, request: Request, event_id: FromPath[int], data: FormData
    ) -> Template | Redirect:
        days = data.get("days", "")
        try:
            copy = await scheduling.duplicate_event(event_id, request.user, forms.parse_days(days))
        except Invalid as error:
            errors = error.fields or {"days": error.detail}
            return await self._detail(request, event_id, errors=errors, days=days, status_code=422)
        invalidate_public_pages()
        return see_other(f"/manage/events/{copy['id']}/edit", "duplicated")

    @get("/audit", name="manage_audit", guards=[admin_only])
    async def audit_log(
        self,
        request: Request,
        action: Annotated[str | None, QueryParameter(max_length=64)] = None,
        before: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)] = None,
        after: Annotated[int | None, QueryParameter(ge=0, le=MAX_ID)] = None,
    ) -> Template:
        action = (action or "").strip() or None
        found = await audit_view.log_page(action, before=before, after=after)

        def page_url(**where: int) -> str:
            query: dict[str, Any] = {"action": action} if action else {}
            return "/manage/audit?" + urlencode({**query, **where})

        return page(
            request,
            "audit.html",
            entries=found["entries"],
            older_url=page_url(before=found["older"]) if found["older"] else None,
            newer_url=page_url(after=found["newer"]) if found["newer"] else None,
            action=action or "",
            groups=[(key, _(label)) for key, (label, _p) in audit_view.ACTION_GROUPS.items()],
            page_size=audit_view.PAGE_SIZE,
        )
