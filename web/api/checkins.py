"""Check-in (staff, organizer, admin): the contract's `POST /api/v1/checkins`, and what a
scanner needs for one event (offline data, live counters, finding a person by name)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from msgspec import Struct

from events.door import checkin, desk, offline
from web.guards import door_staff


class CheckinIn(Struct):
    event_id: int
    qr: Any = None
    nonce: Any = None
    device: Any = ""
    # Extras for tickets without a scannable QR: the manual code printed under the QR, or a
    # registration staff found by the phone's last four digits and the name.
    code: Any = None
    registration_id: Any = None


class Person(Struct):
    id: int
    name: str
    party_size: int


class EventBrief(Struct):
    id: int
    title: str
    starts_at: str | None


class CheckinOut(Struct, omit_defaults=True):
    result: str
    registration: Person | None
    checked_in_at: str | None
    event: EventBrief | None = None  # wrong_event only: the event the ticket belongs to


def answer_out(answer: dict) -> CheckinOut:
    """The contract's schema of a check-in answer (`checkin.answer_json`'s)."""
    return msgspec.convert(checkin.answer_json(answer), CheckinOut)


class CheckinController(Controller):
    path = "/api/v1"
    tags = ["check-in"]
    guards = [door_staff]

    @post("/checkins", operation_id="checkin", status_code=200)
    async def check_in(self, request: Request, data: JSONBody[CheckinIn]) -> CheckinOut:
        answer = await checkin.scan(
            data.event_id,
            qr=data.qr,
            code=data.code,
            registration_id=data.registration_id,
            staff=request.user,
            device=data.device,
            nonce=data.nonce,
        )
        return answer_out(answer)

    @get("/events/{event_id:int}/checkin-data", operation_id="checkin_data")
    async def offline_data(self, event_id: FromPath[int]) -> dict:
        return await offline.offline_data(event_id)

    @get("/events/{event_id:int}/checkin-counts", operation_id="checkin_counts")
    async def counts(self, event_id: FromPath[int]) -> dict:
        await checkin.event_for_door(event_id)
        return await checkin.counts(event_id)

    @get("/events/{event_id:int}/checkin-search", operation_id="checkin_search")
    async def search(
        self, event_id: FromPath[int], last4: FromQuery[str] = "", name: FromQuery[str] = ""
    ) -> list[dict]:
        return await desk.search(event_id, last4, name)
