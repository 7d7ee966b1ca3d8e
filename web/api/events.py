"""/api/v1/events: the public list and detail; organizers create, change and duplicate."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from litestar import Controller, MediaType, Request, Response, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from events.core.timeutil import aware
from events.scheduling import catalogue, scheduling
from web import caching
from web.api.schemas import (
    DuplicateIn,
    EventIn,
    EventList,
    EventOut,
    EventPatch,
    Kind,
    given_fields,
)
from web.caching import invalidate_public_pages
from web.guards import organizer_or_admin


def event_out(row: dict) -> EventOut:
    return EventOut(**scheduling.event_dict(row), url=f"/events/{row['id']}")


class EventController(Controller):
    path = "/api/v1/events"
    tags = ["events"]

    @get("/", operation_id="listEvents", opt={"no_compress": True})  # the cache gzips
    async def list_events(
        self,
        request: Request,
        kind: FromQuery[Kind | None] = None,
        street: FromQuery[str | None] = None,
        q: Annotated[str | None, QueryParameter(max_length=100)] = None,
        start_from: Annotated[datetime | None, QueryParameter(name="from")] = None,
        start_to: Annotated[datetime | None, QueryParameter(name="to")] = None,
        past: FromQuery[bool] = False,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 500,
        offset: Annotated[int, QueryParameter(ge=0, le=1_000_000_000)] = 0,
    ) -> Response[EventList]:
        async def body() -> bytes:
            rows = await catalogue.list_events(
                kind=kind,
                street=street,
                search=q,
                start_from=aware(start_from) if start_from else None,
                start_to=aware(start_to) if start_to else None,
                # The contract: `from` or `to` replaces the default window (events not yet
                # ended), so `from` in the past lists past events too.
                include_past=past or start_from is not None or start_to is not None,
                limit=limit,
                offset=offset,
            )
            return msgspec.json.encode(EventList(items=[event_out(row) for row in rows]))

        if request.user:  # staff see the database as it is now
            return Response(await body(), media_type=MediaType.JSON)
        key = ("api-events", kind, street, q, start_from, start_to, past, limit, offset)
        return caching.respond(request, await caching.cached(key, body), MediaType.JSON)

    @get("/{event_id:int}", operation_id="getEvent")
    async def get_event(self, request: Request, event_id: FromPath[int]) -> EventOut:
        row = await scheduling.get_event(event_id, include_unpublished=bool(request.user))
        return event_out(row)

    @post("/", operation_id="createEvent", guards=[organizer_or_admin], status_code=201)
    async def create_event(self, request: Request, data: JSONBody[EventIn]) -> EventOut:
        fields = {name: getattr(data, name) for name in data.__struct_fields__}
        row = await scheduling.create_event(fields, request.user)
        invalidate_public_pages()
        return event_out(row)

    @patch("/{event_id:int}", operation_id="updateEvent", guards=[organizer_or_admin])
    async def update_event(
        self, request: Request, event_id: FromPath[int], data: JSONBody[EventPatch]
    ) -> EventOut:
        row = await scheduling.update_event(event_id, given_fields(data), request.user)
        invalidate_public_pages()
        return event_out(row)

    @post(
        "/{event_id:int}/duplicate",
        operation_id="duplicateEvent",
        guards=[organizer_or_admin],
        status_code=201,
    )
    async def duplicate_event(
        self, request: Request, event_id: FromPath[int], data: JSONBody[DuplicateIn | None] = None
    ) -> EventOut:
        days = data.days if data else 7
        row = await scheduling.duplicate_event(event_id, request.user, days=days)
        return event_out(row)
