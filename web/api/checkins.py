"""Check-in (staff, organizer, admin): the contract's `POST /api/v1/checkins`, and what a
scanner needs for one event (offline data, live counters, finding a person by name)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from msgspec import Struct

from events.core.errors import Invalid
from events.core.i18n import gettext as _
from events.core.timeutil import iso
from events.door import checkin
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
    person = answer["registration"]
    checked = answer["checked_in_at"]
    return CheckinOut(
        result=answer["result"],
        registration=Person(**person) if person else None,
        checked_in_at=(checked if isinstance(checked, str) else iso(checked)) if checked else None,
        event=EventBrief(**answer["event"]) if answer.get("event") else None,
    )


def ways_in(data: Any) -> dict:
    """The one way a check-in names its ticket; 422 when none is given."""
    ways = {
        "qr": data.qr,
        "code": data.code if data.code not in (None, "") else None,
        "registration_id": data.registration_id,
    }
    if ways["qr"] is None and ways["code"] is None and ways["registration_id"] is None:
        raise Invalid(_("请提供二维码内容"), {"qr": _("请提供二维码内容")})
    if ways["qr"] is not None and not isinstance(ways["qr"], str):
        ways["qr"] = ""  # not text: not one of our tickets
    return ways


def method_of(ways: dict) -> str:
    if ways["qr"] is not None:
        return "scan"
    return "code" if ways["code"] is not None else "search"


class CheckinController(Controller):
    path = "/api/v1"
    tags = ["check-in"]
    guards = [door_staff]

    @post("/checkins", operation_id="checkin", status_code=200)
    async def check_in(self, request: Request, data: JSONBody[CheckinIn]) -> CheckinOut:
        ways = ways_in(data)
        answer = await checkin.check_in(
            data.event_id,
            **ways,
            staff=request.user,
            device=data.device,
            nonce=data.nonce,
            method=method_of(ways),
        )
        return answer_out(answer)

    @get("/events/{event_id:int}/checkin-data", operation_id="checkin_data")
    async def offline_data(self, event_id: FromPath[int]) -> dict:
        return await checkin.offline_data(event_id)

    @get("/events/{event_id:int}/checkin-counts", operation_id="checkin_counts")
    async def counts(self, event_id: FromPath[int]) -> dict:
        await checkin.event_for_door(event_id)
        return await checkin.counts(event_id)

    @get("/events/{event_id:int}/checkin-search", operation_id="checkin_search")
    async def search(
        self, event_id: FromPath[int], last4: FromQuery[str] = "", name: FromQuery[str] = ""
    ) -> list[dict]:
        return await checkin.search(event_id, last4, name)
