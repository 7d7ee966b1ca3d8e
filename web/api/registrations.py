"""Registrations and tickets (public): register, look a ticket up, cancel it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, JSONBody
from msgspec import Meta, Struct

from events.core.timeutil import iso
from events.door import ticket_view
from events.registration import registration
from web import ratelimit
from web.caching import invalidate_public_pages
from web.requests import base_url, client_ip


class RegistrationIn(Struct):
    name: Annotated[str, Meta(max_length=200)]
    phone: Annotated[str, Meta(max_length=40)]
    party_size: int | None = None
    answers: dict[str, Any] | None = None
    email: Annotated[str, Meta(max_length=300)] = ""
    company: Annotated[str, Meta(max_length=300)] = ""
    adults: int | None = None
    children: int | None = None


class RegistrationOut(Struct):
    id: int
    status: str
    waitlist_position: int | None
    ticket_token: str
    ticket_url: str


class TicketOut(Struct):
    id: int
    event_id: int
    status: str
    waitlist_position: int | None
    party_size: int
    checked_in_at: str | None
    qr: str | None
    ticket_url: str


class Cancelled(Struct):
    status: str


def ticket_url(request: Request, token: str) -> str:
    return f"{base_url(request)}/t/{token}"


class RegistrationController(Controller):
    path = "/api/v1"
    tags = ["registrations"]

    @post("/events/{event_id:int}/registrations", operation_id="register", status_code=201)
    async def register(
        self, request: Request, event_id: FromPath[int], data: JSONBody[RegistrationIn]
    ) -> RegistrationOut:
        ratelimit.check_registration(client_ip(request), data.phone)
        raw = {name: getattr(data, name) for name in data.__struct_fields__}
        raw = {key: value for key, value in raw.items() if value is not None}
        created = await registration.register(event_id, raw, source="api")
        ratelimit.registered(created["phone"])
        invalidate_public_pages()
        return RegistrationOut(
            id=created["id"],
            status=created["status"],
            waitlist_position=created["waitlist_position"],
            ticket_token=created["ticket_token"],
            ticket_url=ticket_url(request, created["ticket_token"]),
        )

    @get("/tickets/{ticket_token:str}", operation_id="getTicket")
    async def get_ticket(self, request: Request, ticket_token: FromPath[str]) -> TicketOut:
        found = await ticket_view.ticket(ticket_token, base_url(request))
        checked: datetime | None = found["checked_in_at"]
        return TicketOut(
            id=found["id"],
            event_id=found["event_id"],
            status=found["status"],
            waitlist_position=found["waitlist_position"],
            party_size=found["party_size"],
            checked_in_at=iso(checked) if checked else None,
            qr=found["qr"],
            ticket_url=ticket_url(request, ticket_token),
        )

    @post("/tickets/{ticket_token:str}/cancel", operation_id="cancelTicket", status_code=200)
    async def cancel_ticket(self, ticket_token: FromPath[str]) -> Cancelled:
        await registration.cancel(ticket_token, by="self")
        invalidate_public_pages()
        return Cancelled(status="cancelled")
