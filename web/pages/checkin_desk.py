"""The door desk around check-in: 代报名 (walk-ins), the printable sign-in sheet, 补录纸质签到.

Door staff, organizers and admins only. The camera scanner itself (/checkin/{id}) lives in
web/pages/checkin.py; these pages link back to it. Every rule and query is the door domain's
(`events.door.desk`, `events.door.checkin`): the handlers parse, call it and render.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from events.core import numbers
from events.core.errors import Conflict, Invalid
from events.core.i18n import gettext as _
from events.core.timeutil import TZ, aware, in_years, now
from events.core.validation import MAX_ID
from events.door import checkin, desk
from web.guards import door_staff
from web.pages.register import PRIVATE, _questions, read_form

DEVICE = "desk"
MAX_PAPER = 2000  # ids in one paper submission


def desk_page(request: Request, template: str, status_code: int = 200, **context: Any) -> Template:
    return Template(
        template_name=f"checkin/{template}",
        context={"user": request.user, "path": request.url.path, **context},
        status_code=status_code,
        headers=PRIVATE,
    )


def seats_left(event: dict) -> int:
    return max(event["capacity"] - event["confirmed"], 0)


def _walk_in_defaults() -> dict[str, Any]:
    return {"party_size": "1", "adults": "1", "children": "0"}


def _paper_time(text: str) -> datetime | None:
    """A datetime-local value (Shanghai) or None when it does not parse."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if not in_years(value):
        return None
    return aware(value.replace(tzinfo=TZ) if value.tzinfo is None else value)


class CheckinDeskController(Controller):
    path = "/checkin"
    guards = [door_staff]
    include_in_schema = False

    # ---- 代报名 -----------------------------------------------------------------------------

    async def _walk_in_page(
        self,
        request: Request,
        event: dict,
        form: dict | None = None,
        errors: dict | None = None,
        refusal: str | None = None,
        refusal_code: str | None = None,
        done: dict | None = None,
        status_code: int = 200,
    ) -> Template:
        return desk_page(
            request,
            "desk_walk_in.html",
            status_code=status_code,
            event=event,
            ended=event["ends_at"] <= now(),
            seats_left=seats_left(event),
            questions=await _questions(event["id"]),
            form=form or _walk_in_defaults(),
            errors=errors or {},
            refusal=refusal,
            refusal_code=refusal_code,
            done=done,
        )

    @get("/{event_id:int}/walk-in", name="desk_walk_in")
    async def walk_in_form(self, request: Request, event_id: FromPath[int]) -> Template:
        event = await checkin.event_for_door(event_id)
        done = numbers.whole(request.query_params.get("done") or "")
        if done is not None:  # the result of the walk-in just saved (POST, then redirect)
            person = await desk.walk_in_result(event_id, done)
            if person is not None:
                return await self._walk_in_page(request, event, done=person)
        return await self._walk_in_page(request, event)

    @post("/{event_id:int}/walk-in", name="desk_walk_in_submit")
    async def walk_in_submit(
        self, request: Request, event_id: FromPath[int]
    ) -> Template | Redirect:
        event = await checkin.event_for_door(event_id)
        raw, typed = await read_form(request, await _questions(event_id))
        # Staff tell the person what is kept and why; there is no consent box at the door.
        raw.pop("consent", None)
        typed.pop("consent", None)
        try:
            done = await desk.walk_in(event_id, raw, request.user, DEVICE)
        except Invalid as error:
            errors = dict(error.fields) or {"form": error.detail}
            return await self._walk_in_page(request, event, typed, errors=errors, status_code=422)
        except Conflict as error:
            event = await checkin.event_for_door(event_id)  # the counts changed: show them
            return await self._walk_in_page(
                request,
                event,
                typed,
                refusal=error.detail,
                refusal_code=error.code,
                status_code=409,
            )
        # Redirect to the result, so that reloading it cannot register the person again.
        person = done["registration"]
        return Redirect(path=f"/checkin/{event_id}/walk-in?done={person['id']}", status_code=303)

    # ---- 签到表 ------------------------------------------------------------------------------

    @get("/{event_id:int}/sheet", name="desk_sheet")
    async def sheet(self, request: Request, event_id: FromPath[int]) -> Template:
        event = await checkin.event_for_door(event_id)
        rows = await desk.sheet(event_id)
        return desk_page(
            request,
            "desk_sheet.html",
            event=event,
            rows=rows,
            people=sum(row["party_size"] for row in rows),
            checked=sum(1 for row in rows if row["checked_in_at"]),
            printed_at=now(),
        )

    # ---- 补录纸质签到 ----------------------------------------------------------------------------

    async def _paper_page(
        self,
        request: Request,
        event: dict,
        at_text: str | None = None,
        errors: dict | None = None,
        tally: dict | None = None,
        status_code: int = 200,
    ) -> Template:
        rows = await desk.sheet(event["id"])
        waiting = sum(1 for row in rows if not row["checked_in_at"])
        # 只看未签到: the people still to tick, when the list is long
        pending = request.query_params.get("pending") == "1"
        if pending:
            rows = [row for row in rows if not row["checked_in_at"]]
        return desk_page(
            request,
            "desk_paper.html",
            status_code=status_code,
            event=event,
            rows=rows,
            pending=pending,
            waiting=waiting,
            at_text=at_text if at_text is not None else "",
            errors=errors or {},
            tally=tally,
        )

    @get("/{event_id:int}/paper", name="desk_paper")
    async def paper_form(self, request: Request, event_id: FromPath[int]) -> Template:
        event = await checkin.event_for_door(event_id)
        return await self._paper_page(request, event)

    @post("/{event_id:int}/paper", name="desk_paper_submit")
    async def paper_submit(self, request: Request, event_id: FromPath[int]) -> Template:
        event = await checkin.event_for_door(event_id)
        form = await request.form()
        at_text = form.get("at")
        at_text = at_text[:40] if isinstance(at_text, str) else ""
        at = None
        if at_text.strip():
            at = _paper_time(at_text)
            if at is None:
                return await self._paper_page(
                    request,
                    event,
                    at_text,
                    errors={"at": _("时间格式不正确，例如 2026-11-28 14:00")},
                    status_code=422,
                )
            if at > now():
                return await self._paper_page(
                    request,
                    event,
                    at_text,
                    errors={"at": _("签到时间不能晚于现在")},
                    status_code=422,
                )
        ids: list[int] = []
        for value in form.getall("registration", [])[:MAX_PAPER]:
            number = numbers.whole(value)
            if number is not None and 1 <= number <= MAX_ID:
                ids.append(number)
        ids = list(dict.fromkeys(ids))
        if not ids:
            return await self._paper_page(
                request,
                event,
                at_text,
                errors={"registration": _("请至少勾选一位已签到的人")},
                status_code=422,
            )
        tally = await desk.record_paper(event_id, ids, request.user, at=at)
        return await self._paper_page(request, event, at_text, tally=tally)
