"""A contest's entries as a spreadsheet (organizer, admin): `GET /api/v1/events/{id}/entries.xlsx`
and `.csv` (Chinese headers, masked guardian phones, scores per judge, normalised score, rank,
award). The organizer pages serve the same files to a signed-in session under /manage."""

from __future__ import annotations

from litestar import Controller, get
from litestar.params import FromPath
from litestar.response import Stream

from events.core.i18n import gettext as _
from events.reporting import contest_exports
from web.downloads import spreadsheet
from web.guards import organizer_or_admin


async def entries_download(kind: str, event_id: int) -> Stream:
    stem, columns, rows = await contest_exports.entry_export(event_id)
    return await spreadsheet(kind, stem, columns, rows, _("参赛作品"))


class ContestExportController(Controller):
    path = "/api/v1"
    tags = ["contests"]
    guards = [organizer_or_admin]

    # An .xlsx is a zip already: compressing it again only costs CPU.
    @get(
        "/events/{event_id:int}/entries.xlsx",
        operation_id="export_entries_xlsx",
        opt={"no_compress": True},
    )
    async def entries_xlsx(self, event_id: FromPath[int]) -> Stream:
        return await entries_download("xlsx", event_id)

    @get("/events/{event_id:int}/entries.csv", operation_id="export_entries_csv")
    async def entries_csv(self, event_id: FromPath[int]) -> Stream:
        return await entries_download("csv", event_id)
