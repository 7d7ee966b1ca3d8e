"""The door-staff scanner: the event list, the scanner page and the JSON it calls.

The scanner's JavaScript (assets/src/scanner.js, bundled into assets/build/) runs with the
session cookie, so it calls these page endpoints rather than the bearer-token /api/; the POSTs
are covered by the CSRF middleware (the `x-csrftoken` header). Every decision is the door
domain's (`events.door.checkin`, `.offline`, `.desk`, `.door_report`); the JSON endpoints answer
errors as JSON {code, detail} too, so that the script can show them. The service worker and
the manifest are public (no data in them): a service worker's update check must not turn into
a login redirect when a session expires.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, Router, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Template
from msgspec import Struct

from events.core.i18n import gettext as _
from events.core.timeutil import local, now
from events.door import checkin, desk, door_report, offline
from web.errors import classify
from web.guards import door_staff
from web.templating import ASSETS

SERVICE_WORKER = ASSETS / "build" / "sw.js"
DESK_LINKS = ("walk-in", "sheet", "paper")


def _day_note(event: dict) -> str | None:
    """ "before" / "after" when the event is not on today's date (Shanghai); None on its day."""
    moment = now()
    if local(event["starts_at"]).date() > local(moment).date():
        return "before"
    if event["ends_at"] <= moment:  # over (today or earlier): late scans are still taken
        return "after"
    return None


class ScanIn(Struct):
    qr: Any = None
    code: Any = None
    registration_id: Any = None
    nonce: Any = None
    device: Any = ""


class SyncIn(Struct):
    device: Any = ""
    scans: Any = None


def json_errors(request: Request, exc: Exception) -> Response:
    """Errors of the script's endpoints as JSON (a page or a login redirect would not do)."""
    status, code, detail, extra = classify(exc)
    return Response({"code": code, "detail": detail, **extra}, status_code=status)


JSON_ERRORS = {Exception: json_errors}


class CheckinController(Controller):
    path = "/"
    guards = [door_staff]
    include_in_schema = False

    @get("/", name="checkin_events")
    async def events(self, request: Request) -> Template:
        groups = await door_report.door_events()
        return Template(
            template_name="checkin/events.html",
            context={
                "user": request.user,
                "path": request.url.path,
                "groups": [
                    ("today", _("今天"), groups["today"]),
                    ("upcoming", _("即将开始"), groups["upcoming"]),
                    ("recent", _("最近结束"), groups["recent"]),
                ],
            },
        )

    @get("/{event_id:int}", name="checkin_scanner")
    async def scanner(self, request: Request, event_id: FromPath[int]) -> Template:
        event = await checkin.event_for_door(event_id)
        return Template(
            template_name="checkin/scanner.html",
            context={
                "user": request.user,
                "path": request.url.path,
                "event": event,
                "counts": await checkin.counts(event_id),
                "desk": {name: f"/checkin/{event_id}/{name}" for name in DESK_LINKS},
                "day": _day_note(event),
            },
        )

    @get("/{event_id:int}/data", name="checkin_offline_data", exception_handlers=JSON_ERRORS)
    async def data(self, event_id: FromPath[int]) -> Response:
        return Response(await offline.offline_data(event_id), headers={"Cache-Control": "no-store"})

    @post(
        "/{event_id:int}/scan",
        name="checkin_scan",
        status_code=200,
        exception_handlers=JSON_ERRORS,
    )
    async def scan(self, request: Request, event_id: FromPath[int], data: JSONBody[ScanIn]) -> dict:
        answer = await checkin.scan(
            event_id,
            qr=data.qr,
            code=data.code,
            registration_id=data.registration_id,
            staff=request.user,
            device=data.device,
            nonce=data.nonce,
        )
        return {**checkin.answer_json(answer), "counts": await checkin.counts(event_id)}

    @post(
        "/{event_id:int}/sync",
        name="checkin_sync",
        status_code=200,
        exception_handlers=JSON_ERRORS,
    )
    async def sync(self, request: Request, event_id: FromPath[int], data: JSONBody[SyncIn]) -> dict:
        answers = await offline.sync(event_id, data.scans, request.user, data.device)
        return {
            "results": [{"nonce": item["nonce"], **checkin.answer_json(item)} for item in answers],
            "counts": await checkin.counts(event_id),
        }

    @get("/{event_id:int}/search", name="checkin_search", exception_handlers=JSON_ERRORS)
    async def search(
        self, event_id: FromPath[int], last4: FromQuery[str] = "", name: FromQuery[str] = ""
    ) -> list[dict]:
        return await desk.search(event_id, last4, name)


@get("/sw.js", name="checkin_service_worker", include_in_schema=False)
async def service_worker() -> Response:
    body = SERVICE_WORKER.read_bytes() if SERVICE_WORKER.exists() else b""
    return Response(
        body,
        media_type="text/javascript",  # Litestar adds the charset
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/checkin/"},
    )


@get("/manifest.webmanifest", name="checkin_manifest", include_in_schema=False)
async def manifest() -> Response:
    icon = "/static/icons/icon.svg"
    return Response(
        {
            "name": _("运河科创 · 现场签到"),
            "short_name": _("现场签到"),
            "start_url": "/checkin/",
            "scope": "/checkin/",
            "display": "standalone",
            "orientation": "portrait",
            "background_color": "#ffffff",
            "theme_color": "#0b6e6e",
            "icons": [{"src": icon, "sizes": "any", "type": "image/svg+xml"}],
        },
        media_type="application/manifest+json",
        headers={"Cache-Control": "no-cache"},
    )


checkin_router = Router(
    path="/checkin",
    route_handlers=[CheckinController, service_worker, manifest],
)
