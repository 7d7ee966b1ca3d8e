"""Public pages: the catalogue (/), an event's page, its .ics; language switch."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from urllib.parse import urlencode

from icalendar import Calendar
from icalendar import Event as CalendarEvent
from litestar import Controller, MediaType, Request, Response, get
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect

from events.contests import config as contest_config
from events.core.errors import NotFound
from events.core.i18n import LOCALES, current_locale
from events.core.i18n import gettext as _
from events.core.kinds import KINDS, PROGRAMMES, STREETS
from events.core.timeutil import day_start, now, today
from events.scheduling import catalogue, scheduling
from web import caching
from web.context import LANG_COOKIE
from web.requests import base_url
from web.templating import render

PER_PROGRAMME = 6
PAGE_SIZE = 40
MAX_PAGE = 10_000
WHEN_CHOICES = ("week", "month", "30d")


def page_number(raw: str | None) -> int:
    """The page asked for: 1 for anything but a positive whole number; at most MAX_PAGE."""
    digits = (raw or "").strip().lstrip("0")
    if not (digits.isascii() and digits.isdigit()):  # also "", "0", "-1", "abc", "²"
        return 1
    return MAX_PAGE if len(digits) > len(str(MAX_PAGE)) else min(int(digits), MAX_PAGE)


def catalogue_url(**params) -> str:
    """`/` with the given query parameters, leaving out empty ones."""
    query = {key: ("true" if value is True else value) for key, value in params.items() if value}
    return "/?" + urlencode(query) if query else "/"


def _window(when: str | None) -> tuple:
    start = today()
    if when == "week":
        return day_start(start), day_start(start + timedelta(days=7 - start.weekday()))
    if when == "month":
        first_next = (start.replace(day=1) + timedelta(days=32)).replace(day=1)
        return day_start(start), day_start(first_next)
    if when == "30d":
        return day_start(start), day_start(start + timedelta(days=30))
    return None, None


async def contest_summary(event: dict) -> dict | None:
    """A contest event's submission window and result state, for its event page."""
    if event["kind"] != "contest":
        return None
    try:
        row = await contest_config.load(event["id"])
    except NotFound:
        return None
    state = contest_config.window_state(row)
    return {**row, "state": state, "published": row["published_at"] is not None}


async def _html(request: Request, key: tuple, build) -> Response:
    """Serve a public page from the per-worker cache (anonymous visitors), gzip and ETag.

    `build` is an async function that queries and renders; a cache hit runs no query.
    """
    if request.user:
        return Response(await build(), media_type=MediaType.HTML)

    async def body() -> bytes:
        return (await build()).encode()

    return caching.respond(request, await caching.cached(key, body), MediaType.HTML)


def seats_badge(row: dict) -> tuple[str, str]:
    """(css class, text) describing whether and how one can register."""
    state = scheduling.registration_state(row)
    left = max(row["capacity"] - row["confirmed"], 0)
    if row["status"] == "cancelled":
        return "off", _("已取消")
    if row["ends_at"] < now():
        return "off", _("已结束")
    return {
        "open": ("ok", _("余 {n} 位").format(n=left)),
        "not_yet": ("soon", _("报名未开始")),
        "closed": ("off", _("报名已截止")),
        "full": ("off", _("已满")),
        "waitlist": ("wait", _("已满 · 可候补")),
    }[state]


class CatalogueController(Controller):
    include_in_schema = False
    # Public pages hold no form: no CSRF cookie to mint per first visit (see docs/performance.md).
    opt = {"no_compress": True, "exclude_from_csrf": True}

    @get("/", name="catalogue")
    async def catalogue_page(
        self,
        request: Request,
        kind: FromQuery[str | None] = None,
        street: FromQuery[str | None] = None,
        q: FromQuery[str | None] = None,
        when: FromQuery[str | None] = None,
        past: FromQuery[str | None] = None,
        page: FromQuery[str | None] = None,
    ) -> Response:
        kind = kind if kind in KINDS else None
        street = street if street in STREETS else None
        when = when if when in WHEN_CHOICES else None
        q = (q or "")[:100].strip() or None  # the search box takes 100 characters
        past = (past or "").strip().lower() in ("true", "1", "yes", "on")
        page = page_number(page)  # a bad page is page 1; one past the end, the last
        key = ("catalogue", current_locale.get(), kind, street, q, when, past, page)
        filters = {"kind": kind, "street": street, "q": q, "when": when, "past": past}
        start_from, start_to = _window(when)
        listing = bool(kind or street or q or when or past)

        where = {
            "search": q,
            "street": street,
            "start_from": start_from,
            "start_to": start_to,
            "past_only": past,
        }

        async def rows_for(**extra):
            return await catalogue.list_events(**where, **extra)

        async def build() -> str:
            more = False
            shown = page
            if listing:
                rows = await rows_for(kind=kind, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
                if not rows and page > 1:
                    # Past the end: show the last page there is (page 1 when nothing matches).
                    total = await catalogue.count_events(kind=kind, **where)
                    shown = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
                    offset = (shown - 1) * PAGE_SIZE
                    rows = await rows_for(kind=kind, limit=PAGE_SIZE + 1, offset=offset)
                groups = [(None, rows[:PAGE_SIZE], None)]
                more = len(rows) > PAGE_SIZE
            else:
                preview = await catalogue.programme_preview(PER_PROGRAMME)
                groups = []
                for programme, heading in PROGRAMMES:
                    rows = [row for row in preview if row["kind"] == programme]
                    if rows:
                        groups.append((programme, rows, (heading, rows[0]["kind_total"])))
            return render(
                "catalogue.html",
                user=request.user,
                groups=groups,
                filters=filters,
                kinds=KINDS,
                streets=STREETS,
                listing=listing,
                # A filter the visitor set (the 往期活动 tab is not one): 清除 shows only then.
                filtered=bool(kind or street or q or when),
                page=shown,
                more=more,
                badge=seats_badge,
                page_url=lambda **change: catalogue_url(**{**filters, **change}),
                # The tabs keep what was searched for; a time window only applies upcoming.
                upcoming_url=catalogue_url(kind=kind, street=street, q=q, when=when),
                past_url=catalogue_url(kind=kind, street=street, q=q, past=True),
                clear_url=catalogue_url(past=past),
                path="/",
            )

        return await _html(request, key, build)

    @get("/events/{event_id:int}", name="event")
    async def event_page(self, request: Request, event_id: FromPath[int]) -> Response:
        key = ("event", current_locale.get(), event_id)

        async def build() -> str:
            row = await scheduling.get_event(event_id, include_unpublished=bool(request.user))
            contest = await contest_summary(row)
            return render(
                "event.html",
                contest=contest,
                user=request.user,
                event=row,
                badge=seats_badge(row),
                state=scheduling.registration_state(row),
                seats_left=max(row["capacity"] - row["confirmed"], 0),
                share_url=f"{base_url(request)}/events/{event_id}",
                path=f"/events/{event_id}",
            )

        return await _html(request, key, build)

    @get("/events/{event_id:int}/calendar.ics", name="event_ics")
    async def event_ics(self, request: Request, event_id: FromPath[int]) -> Response:
        row = await scheduling.get_event(event_id, include_unpublished=bool(request.user))
        base = str(request.base_url).rstrip("/")
        calendar = Calendar()
        calendar.add("prodid", "-//Canal Events//运河科创活动平台//ZH")
        calendar.add("version", "2.0")
        item = CalendarEvent()
        item.add("uid", f"event-{row['id']}@canal-events")
        item.add("dtstamp", now())
        item.add("dtstart", row["starts_at"])
        item.add("dtend", row["ends_at"])
        item.add("summary", row["title"])
        item.add("location", " ".join(filter(None, [row["venue"], row["address"]])))
        item.add("description", row["description"])
        item.add("url", f"{base}/events/{row['id']}")
        if row["status"] == "cancelled":
            item.add("status", "CANCELLED")
        calendar.add_component(item)
        return Response(
            calendar.to_ical(),
            media_type="text/calendar",  # Litestar adds the charset
            headers={"Content-Disposition": f'attachment; filename="event-{row["id"]}.ics"'},
        )

    @get("/lang/{code:str}", name="set_lang")
    async def set_language(
        self, code: FromPath[str], next_url: Annotated[str, QueryParameter(name="next")] = "/"
    ) -> Redirect:
        locale = code.replace("-", "_")
        if locale not in LOCALES:
            locale = "zh_CN"
        target = next_url if next_url.startswith("/") and not next_url.startswith("//") else "/"
        response = Redirect(path=target)
        response.set_cookie(LANG_COOKIE, locale, max_age=365 * 24 * 3600, samesite="lax")
        return response
