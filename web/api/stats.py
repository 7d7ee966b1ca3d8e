"""Goals, statistics and exports (organizer, admin): the contract's `/api/v1/goals/{year}`,
`/api/v1/exports/attendance.{xlsx,csv}` and `/api/v1/events/{id}/registrations.{xlsx,csv}`."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, put
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Stream
from msgspec import Struct

from events.core.i18n import gettext as _
from events.door.checkin import event_for_door
from events.reporting import exports, stats
from web.downloads import spreadsheet
from web.guards import organizer_or_admin


class GoalsIn(Struct):
    goals: Any


class StatsController(Controller):
    path = "/api/v1"
    tags = ["goals and exports"]
    guards = [organizer_or_admin]

    @get("/goals/{year:int}", operation_id="goals_get")
    async def goals(self, year: FromPath[int]) -> dict:
        return await stats.get_goals(year)

    @put("/goals/{year:int}", operation_id="goals_put", status_code=200)
    async def set_goals(
        self, request: Request, year: FromPath[int], data: JSONBody[GoalsIn]
    ) -> dict:
        return await stats.set_goals(year, data.goals, request.user)

    # An .xlsx is a zip already: compressing it again only costs CPU.
    @get(
        "/exports/attendance.xlsx",
        operation_id="export_attendance_xlsx",
        opt={"no_compress": True},
    )
    async def attendance_xlsx(self, year: FromQuery[int]) -> Stream:
        return await self._attendance("xlsx", year)

    @get("/exports/attendance.csv", operation_id="export_attendance_csv")
    async def attendance_csv(self, year: FromQuery[int]) -> Stream:
        return await self._attendance("csv", year)

    async def _attendance(self, kind: str, year: int) -> Stream:
        stem, columns, rows = await exports.attendance_export(year)
        return await spreadsheet(kind, stem, columns, rows, _("活动签到统计"))

    @get(
        "/events/{event_id:int}/registrations.xlsx",
        operation_id="export_registrations_xlsx",
        opt={"no_compress": True},
    )
    async def registrants_xlsx(
        self,
        request: Request,
        event_id: FromPath[int],
        unmasked: FromQuery[bool] = False,
        reason: FromQuery[str] = "",
    ) -> Stream:
        return await self._registrants(request, "xlsx", event_id, unmasked, reason)

    @get("/events/{event_id:int}/registrations.csv", operation_id="export_registrations_csv")
    async def registrants_csv(
        self,
        request: Request,
        event_id: FromPath[int],
        unmasked: FromQuery[bool] = False,
        reason: FromQuery[str] = "",
    ) -> Stream:
        return await self._registrants(request, "csv", event_id, unmasked, reason)

    async def _registrants(
        self, request: Request, kind: str, event_id: int, unmasked: bool, reason: str
    ) -> Stream:
        event = await event_for_door(event_id)
        if unmasked:
            if request.user["role"] != "admin":
                raise PermissionDeniedException(detail=_("只有管理员可以导出完整手机号"))
            await exports.record_unmasked(request.user, event_id, reason, kind)
        stem, columns, rows = await exports.registrant_export(event, unmasked)
        return await spreadsheet(kind, stem, columns, rows, _("报名名单"))
