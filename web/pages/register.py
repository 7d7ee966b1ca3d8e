"""Residents' pages: the registration form, the ticket (QR), the scan page, 我的报名, privacy.

None of these is cached: each carries per-visitor data or a CSRF token. Tickets and scan pages
are private by URL, so they say no-store, noindex and send no Referer.
"""

from __future__ import annotations

import json
import re
from typing import Any

import qrcode
import qrcode.constants
import qrcode.image.svg
from limits import parse
from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from markupsafe import Markup, escape

from events.core.errors import Conflict, Invalid, NotFound, RateLimited
from events.core.i18n import gettext as _
from events.core.phones import mask, normalise
from events.core.timeutil import now
from events.door import checkin, ticket_view, tickets
from events.door.undo import undo as undo_checkin
from events.registration import registration
from events.registration import self_service as my_registrations
from events.registration.form import questions_of
from events.registration.retention import get_retention_days
from events.scheduling import scheduling
from web import ratelimit
from web.caching import invalidate_public_pages
from web.guards import door_staff
from web.requests import base_url, client_ip

RESIDENT_COOKIE = "ce_resident"
PRIVATE = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
}
CODE_PER_IP = parse("30/hour")
VERIFY_PER_IP = parse("60/10 minutes")
MAX_TYPED = 1000  # a typed value shown again after an error is clipped to this
TEXT_FIELDS = ("name", "phone", "email", "company", "party_size", "adults", "children")


def page(template: str, status_code: int = 200, **context: Any) -> Template:
    return Template(
        template_name=f"register/{template}",
        context=context,
        status_code=status_code,
        headers=PRIVATE,
    )


def qr_svg(text: str) -> Markup:
    """The QR code as inline SVG (M error correction, 4-module quiet zone), sized by CSS."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=4,
        image_factory=qrcode.image.svg.SvgPathImage,
    )
    code.add_data(text)
    code.make(fit=True)
    svg = code.make_image().to_string(encoding="unicode")
    svg = re.sub(r'^<svg width="[^"]*" height="[^"]*"', "<svg", svg, count=1)
    label = escape(_("入场二维码"))
    svg = svg.replace(
        "<svg ",
        f'<svg role="img" aria-label="{label}" shape-rendering="crispEdges" '
        'preserveAspectRatio="xMidYMid meet" ',
        1,
    )
    return Markup(svg)  # noqa: S704 — made by qrcode from our own signed text


DOOR_ROLES = ("staff", "organizer", "admin")


def is_door_staff(user: dict | None) -> bool:
    return bool(user) and user.get("role") in DOOR_ROLES


def _options(question: dict) -> list[str]:
    options = question.get("options") or []
    if isinstance(options, str):
        try:
            options = json.loads(options)
        except ValueError:
            options = []
    return [str(option) for option in options] if isinstance(options, list) else []


async def _questions(event_id: int) -> list[dict]:
    return [{**row, "options": _options(row)} for row in await questions_of(event_id)]


def _typed(value: Any) -> str:
    return value[:MAX_TYPED] if isinstance(value, str) else ""


async def read_form(request: Request, questions: list[dict]) -> tuple[dict, dict]:
    """(raw for `register`, typed values to show again) from the submitted form."""
    form = await request.form()
    typed: dict[str, Any] = {name: _typed(form.get(name)) for name in TEXT_FIELDS}
    raw: dict[str, Any] = {name: value for name, value in typed.items() if value != ""}
    raw.setdefault("name", "")
    raw.setdefault("phone", "")
    answers: dict[str, Any] = {}
    for question in questions:
        field = f"q{question['id']}"
        if question["kind"] == "multiple":
            chosen = [_typed(value) for value in form.getall(field, [])][:50]
            answers[str(question["id"])] = typed[field] = chosen
        else:
            answers[str(question["id"])] = typed[field] = _typed(form.get(field))
    raw["answers"] = answers
    typed["consent"] = bool(form.get("consent"))
    raw["consent"] = "true" if typed["consent"] else "false"
    return raw, typed


def ticket_status(ticket: dict) -> tuple[str, str]:
    """(css class, text) of a ticket's status as its holder reads it."""
    if ticket["status"] == "confirmed":
        if ticket["registration"]["checked_in_at"]:
            return "ok", _("已签到")
        return "ok", _("报名成功")
    if ticket["status"] == "waitlisted":
        return "wait", _("候补第 {n} 位").format(n=ticket["waitlist_position"])
    return "off", _("已取消")


async def _event_row(event_id: int) -> dict | None:
    return await ticket_view.event_row(event_id)


class RegisterController(Controller):
    include_in_schema = False

    async def _form(
        self,
        request: Request,
        event: dict,
        questions: list[dict],
        form: dict | None = None,
        errors: dict | None = None,
        refusal: str | None = None,
        refusal_code: str | None = None,
        status_code: int = 200,
    ) -> Template:
        return page(
            "form.html",
            status_code=status_code,
            user=request.user,
            event=event,
            state=scheduling.registration_state(event),
            ended=event["ends_at"] <= now(),
            seats_left=max(event["capacity"] - event["confirmed"], 0),
            questions=questions,
            form=form or {"party_size": "1", "adults": "1", "children": "0"},
            errors=errors or {},
            refusal=refusal,
            refusal_code=refusal_code,
            retention_days=await get_retention_days(),
            path=f"/events/{event['id']}/register",
        )

    @get("/events/{event_id:int}/register", name="register_form")
    async def register_form(self, request: Request, event_id: FromPath[int]) -> Template:
        event = await scheduling.get_event(event_id)
        return await self._form(request, event, await _questions(event_id))

    @post("/events/{event_id:int}/register", name="register_submit")
    async def register_submit(
        self, request: Request, event_id: FromPath[int]
    ) -> Template | Redirect:
        event = await scheduling.get_event(event_id)
        questions = await _questions(event_id)
        raw, typed = await read_form(request, questions)
        try:
            ratelimit.check_registration(client_ip(request), raw["phone"][:40])
            created = await registration.register(event_id, raw, source="web")
        except Invalid as error:
            errors = dict(error.fields) or {"form": error.detail}
            return await self._form(
                request, event, questions, typed, errors=errors, status_code=422
            )
        except (Conflict, RateLimited) as error:
            status = 429 if isinstance(error, RateLimited) else 409
            event = await scheduling.get_event(event_id)  # the counts changed: show them fresh
            return await self._form(
                request,
                event,
                questions,
                typed,
                refusal=error.detail,
                refusal_code=error.code,
                status_code=status,
            )
        ratelimit.registered(created["phone"])
        invalidate_public_pages()
        return Redirect(path=f"/t/{created['ticket_token']}", status_code=303)

    @get("/t/{token:str}", name="ticket")
    async def ticket_page(self, request: Request, token: FromPath[str]) -> Template:
        found = await ticket_view.ticket(token, base_url(request))
        event = await _event_row(found["event_id"])
        ended = event["ends_at"] <= now()
        return page(
            "ticket.html",
            user=request.user,
            token=token,
            ticket=found,
            person=found["registration"],
            masked_phone=mask(found["registration"]["phone"]),
            event=event,
            status=ticket_status(found),
            qr=qr_svg(found["qr"]) if found["qr"] else None,
            manual_code=tickets.manual_code(found["id"]) if found["qr"] else None,
            can_cancel=registration.self_cancel_allowed(found["registration"], event),
            ended=ended,
            path=f"/t/{token}",
        )

    @get("/t/{token:str}/cancel", name="ticket_cancel_confirm")
    async def cancel_confirm(self, request: Request, token: FromPath[str]) -> Template | Redirect:
        found = await ticket_view.ticket(token, base_url(request))
        event = await _event_row(found["event_id"])
        if not registration.self_cancel_allowed(found["registration"], event):
            return Redirect(path=f"/t/{token}", status_code=303)
        return page(
            "cancel.html",
            user=request.user,
            token=token,
            ticket=found,
            event=event,
            path=f"/t/{token}/cancel",
        )

    @post("/t/{token:str}/cancel", name="ticket_cancel")
    async def cancel(self, token: FromPath[str]) -> Redirect:
        await registration.cancel(token, by="self")
        invalidate_public_pages()
        return Redirect(path=f"/t/{token}", status_code=303)

    @get("/c/{payload:path}", name="scan")
    async def scan(self, request: Request, payload: FromPath[str]) -> Template:
        """What a camera app opens: genuine or not, and whose (masked); never an error page."""
        found = await ticket_view.scanned(payload.lstrip("/"))
        if found is None:
            return page("check.html", status_code=404, user=request.user, valid=False)
        person, event = found
        return await self._check_page(request, payload.lstrip("/"), person, event)

    async def _check_page(
        self, request: Request, text: str, person: dict, event: dict, result: dict | None = None
    ) -> Template:
        position = None
        if person["status"] == "waitlisted":
            position = await registration.waitlist_position(event["id"], person["seq"])
        return page(
            "check.html",
            user=request.user,
            valid=True,
            person=person,
            event=event,
            masked_name=checkin.masked_name(person["name"]),
            masked_phone=mask(person["phone"]),
            waitlist_position=position,
            # Door staff see the whole name and one 签到 button (a POST: a GET checks nothing in).
            staff=is_door_staff(request.user) and event["status"] != "draft",
            payload=text,
            result=result,
        )

    # POST /c/<payload>/checkin: a `path` parameter takes the rest of the URL, so the route is
    # the same as the scan page's and the `/checkin` suffix is checked here.
    @post("/c/{payload:path}", name="scan_checkin", guards=[door_staff])
    async def scan_checkin(self, request: Request, payload: FromPath[str]) -> Template:
        """The 签到 button of a ticket URL opened by any camera app on a staff phone."""
        payload, _slash, action = payload.lstrip("/").rpartition("/")
        if action not in ("checkin", "undo") or not payload:
            raise NotFound(_("没有找到这个页面"))
        found = await ticket_view.scanned(payload)
        if found is None:
            return page("check.html", status_code=404, user=request.user, valid=False)
        person, event = found
        if action == "undo":  # 撤销签到: the person was let in by mistake
            try:
                await undo_checkin(event["id"], person["id"], request.user, "ticket-url")
            except Conflict:
                pass  # nothing to take back (undone already): the page shows the state
            person = await ticket_view.registration_row(person["id"])
            return await self._check_page(
                request, payload, person, event, result={"result": "undone"}
            )
        answer = await checkin.check_in(
            event["id"], qr=payload, staff=request.user, device="ticket-url", method="button"
        )
        person = await ticket_view.registration_row(person["id"])
        return await self._check_page(request, payload, person, event, result=answer)

    @get("/privacy", name="privacy")
    async def privacy(self, request: Request) -> Template:
        return Template(
            template_name="register/privacy.html",
            context={
                "user": request.user,
                "retention_days": await get_retention_days(),
                "path": "/privacy",
            },
        )


class MyRegistrationsController(Controller):
    path = "/me"
    include_in_schema = False

    @get("/", name="me")
    async def me(self, request: Request) -> Template:
        phone = await my_registrations.phone_for_session(request.cookies.get(RESIDENT_COOKIE))
        rows = await my_registrations.registrations_of(phone) if phone else []
        return self._page(request, phone=phone, rows=rows)

    def _page(self, request: Request, status_code: int = 200, **context: Any) -> Template:
        context.setdefault("phone", None)
        context.setdefault("step", "phone")
        context.setdefault("errors", {})
        context.setdefault("form", {})
        return page(
            "me.html",
            status_code=status_code,
            user=request.user,
            path="/me",
            status_label=lambda row: ticket_status(
                {
                    "status": row["status"],
                    "waitlist_position": row["waitlist_position"],
                    "registration": row,
                }
            ),
            **context,
        )

    @post("/code", name="me_code")
    async def send_code(self, request: Request) -> Template:
        form = await request.form()
        typed = {"phone": _typed(form.get("phone"))[:40]}
        ip = client_ip(request)
        try:
            ratelimit.check(CODE_PER_IP, "me-code-ip", ip)
            sent = await my_registrations.send_code(typed["phone"])
        except Invalid as error:
            return self._page(request, 422, errors=error.fields, form=typed)
        except RateLimited as error:
            step = "code" if self._valid_phone(typed["phone"]) else "phone"
            return self._page(request, 429, step=step, errors={"phone": error.detail}, form=typed)
        ratelimit.hit(CODE_PER_IP, "me-code-ip", ip)
        return self._page(
            request, step="code", form={"phone": sent["phone"]}, sent_to=mask(sent["phone"])
        )

    @staticmethod
    def _valid_phone(raw: str) -> bool:
        try:
            normalise(raw)
        except Invalid:
            return False
        return True

    @post("/verify", name="me_verify")
    async def verify(self, request: Request) -> Template | Redirect:
        form = await request.form()
        typed = {"phone": _typed(form.get("phone"))[:40], "code": _typed(form.get("code"))[:20]}
        ip = client_ip(request)
        try:
            ratelimit.check(VERIFY_PER_IP, "me-verify-ip", ip)
            ratelimit.hit(VERIFY_PER_IP, "me-verify-ip", ip)
            raw = await my_registrations.verify_code(typed["phone"], typed["code"])
        except (Invalid, RateLimited) as error:
            errors = getattr(error, "fields", None) or {"code": error.detail}
            step = "phone" if "phone" in errors else "code"
            status = 429 if isinstance(error, RateLimited) else 422
            return self._page(request, status, step=step, errors=errors, form=typed)
        response = Redirect(path="/me", status_code=303)
        response.set_cookie(
            RESIDENT_COOKIE,
            raw,
            max_age=int(my_registrations.SESSION_LIFETIME.total_seconds()),
            path="/me",
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
        return response

    @post("/logout", name="me_logout")
    async def logout(self, request: Request) -> Redirect:
        await my_registrations.end_session(request.cookies.get(RESIDENT_COOKIE))
        response = Redirect(path="/me", status_code=303)
        response.delete_cookie(RESIDENT_COOKIE, path="/me")
        return response
