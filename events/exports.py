"""Spreadsheets for reporting upward: attendance per event, registrants per event, the annual
report workbook. CSV carries a UTF-8 BOM (Excel then reads Chinese correctly); XLSX has
Chinese headers, column widths, a frozen header row and number formats.

Rows are read from the database in batches by id and written as they come, so a large export
takes constant memory: CSV is streamed as it is made; XLSX is written by xlsxwriter in its
constant-memory mode to a temporary file (in a worker thread, a batch at a time), then
streamed from it. User text never becomes a live formula: a cell starting with `=`, `+`, `-`,
`@` (or a tab or carriage return) is prefixed with `'`.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import queue
import tempfile
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import anyio.to_thread

from events.i18n import N_
from events.i18n import gettext as _
from events.kinds import KINDS, STATUSES
from events.phones import mask
from events.stats import check_year, year_bounds
from events.tables import Event, Registration
from events.timeutil import local, now

BATCH = 5000
CHUNK = 64 * 1024
_LIVE = ("=", "+", "-", "@", "\t", "\r")


def inert(value: Any) -> Any:
    """A value safe to put in a spreadsheet cell: text never starts a formula."""
    if isinstance(value, str) and value.startswith(_LIVE):
        return "'" + value
    return value


def _local(value: datetime | None) -> datetime | None:
    """A time for a spreadsheet cell: Asia/Shanghai, to the minute (CSV text, XLSX a date)."""
    return local(value).replace(second=0) if value is not None else None


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return inert(value)


EXCEL_EPOCH = datetime(1899, 12, 30)


def _excel_serial(value: datetime) -> float:
    """Days since Excel's epoch, in the time's own (local) clock."""
    return (value.replace(tzinfo=None) - EXCEL_EPOCH).total_seconds() / 86400


def _when(value: datetime | None, with_time: bool = True) -> str:
    if value is None:
        return ""
    return local(value).strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


# --- attendance per event ---------------------------------------------------------------


def attendance_columns() -> list[tuple[str, int, str]]:
    """(header, width, kind of cell) — `int` cells get a number format."""
    return [
        (_("日期"), 12, "text"),
        (_("类型"), 14, "text"),
        (_("系列"), 12, "text"),
        (_("活动名称"), 36, "text"),
        (_("地点"), 24, "text"),
        (_("街道"), 12, "text"),
        (_("主办单位"), 18, "text"),
        (_("状态"), 8, "text"),
        (_("名额"), 8, "int"),
        (_("报名人数"), 10, "int"),
        (_("签到人数"), 10, "int"),
        (_("未到人数"), 10, "int"),
    ]


async def attendance_rows(year: int) -> AsyncIterator[list]:
    """One row per published or cancelled event of the year, in date order."""
    check_year(year)
    start, end = year_bounds(year)
    moment = now()
    rows = await Event.raw(
        "SELECT id, starts_at, ends_at, kind, series, title, venue, street, organizer_unit,"
        " status, capacity, confirmed, checked_in FROM event"
        " WHERE status IN ('published', 'cancelled') AND starts_at >= {} AND starts_at < {}"
        " ORDER BY starts_at, id",
        start,
        end,
    )
    for row in rows:
        ended = row["ends_at"] <= moment and row["status"] == "published"
        confirmed, came = int(row["confirmed"]), int(row["checked_in"])
        yield [
            _when(row["starts_at"], with_time=False),
            _(KINDS.get(row["kind"], row["kind"])),
            row["series"],
            row["title"],
            row["venue"],
            row["street"],
            row["organizer_unit"],
            _(STATUSES.get(row["status"], row["status"])),
            row["capacity"],
            confirmed,
            came,
            confirmed - came if ended else None,
        ]


# --- registrants of one event -------------------------------------------------------------


REGISTRATION_STATUS = {
    "confirmed": N_("已确认"),
    "waitlisted": N_("候补"),
    "cancelled": N_("已取消"),
}


def _party_detail(event: dict | None) -> bool:
    return event is None or bool(event.get("family"))


def _company(event: dict | None) -> bool:
    return event is None or bool(event.get("ask_company"))


def registrant_columns(
    unmasked: bool = False, event: dict | None = None
) -> list[tuple[str, int, str]]:
    """The registrant sheet's columns; adults/children only for a parent-child event and the
    company only for an event that asks for it (all of them when `event` is None)."""
    columns = [
        (_("编号"), 8, "int"),
        (_("姓名"), 14, "text"),
        (_("手机号") if unmasked else _("手机号（隐去中间四位）"), 16, "text"),
        (_("人数"), 6, "int"),
    ]
    if _party_detail(event):
        columns += [(_("成人"), 6, "int"), (_("儿童"), 6, "int")]
    if _company(event):
        columns.append((_("单位"), 20, "text"))
    return [
        *columns,
        (_("状态"), 8, "text"),
        (_("报名时间"), 17, "datetime"),
        (_("签到时间"), 17, "datetime"),
        (_("来源"), 8, "text"),
    ]


SOURCES = {"web": N_("网页"), "api": N_("接口"), "walk_in": N_("现场"), "organizer": N_("主办方")}


async def registrant_rows(
    event_id: int, unmasked: bool = False, event: dict | None = None
) -> AsyncIterator[list]:
    """Every registration of the event in order of arrival, read BATCH rows at a time, in
    the columns of `registrant_columns(unmasked, event)`."""
    party_detail, company = _party_detail(event), _company(event)
    last = 0
    while True:
        rows = await Registration.raw(
            "SELECT id, name, phone, party_size, adults, children, company, status,"
            " created_at, checked_in_at, source FROM registration"
            " WHERE event = {} AND id > {} ORDER BY id LIMIT {}",
            event_id,
            last,
            BATCH,
        )
        for row in rows:
            values = [
                row["id"],
                row["name"],
                (row["phone"] or "") if unmasked else mask(row["phone"]),
                row["party_size"],
            ]
            if party_detail:
                values += [row["adults"], row["children"]]
            if company:
                values.append(row["company"])
            values += [
                _(REGISTRATION_STATUS.get(row["status"], row["status"])),
                _local(row["created_at"]),
                _local(row["checked_in_at"]),
                _(SOURCES.get(row["source"], row["source"])),
            ]
            yield values
        if len(rows) < BATCH:
            return
        last = rows[-1]["id"]


# --- writers --------------------------------------------------------------------------------


async def csv_stream(columns: list, rows: AsyncIterator[list]) -> AsyncIterator[bytes]:
    """CSV with a UTF-8 BOM, yielded in chunks as the rows arrive."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([header for header, _width, _kind in columns])
    async for row in rows:
        writer.writerow([_cell_text(value) for value in row])
        if buffer.tell() >= CHUNK:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


class _Sheet:
    """A worksheet of xlsxwriter in constant-memory mode, with the house style."""

    def __init__(self, book, title: str, columns: list, formats: dict) -> None:
        self.sheet = book.add_worksheet(title[:31])
        self.columns = columns
        self.kinds = [kind for _header, _width, kind in columns]
        self.formats = formats
        self.row = 0
        for index, (header, width, _kind) in enumerate(columns):
            self.sheet.set_column(index, index, width)
            self.sheet.write_string(0, index, header, formats["header"])
        self.sheet.freeze_panes(1, 0)
        self.row = 1

    def write(self, values: list) -> None:
        sheet, row, formats = self.sheet, self.row, self.formats
        for index, value in enumerate(values):
            if value is None or value == "":
                continue  # an empty cell: nothing to write
            kind = self.kinds[index]
            if kind == "int" and isinstance(value, int | float):
                sheet.write_number(row, index, value, formats["int"])
            elif kind == "datetime" and isinstance(value, datetime):
                sheet.write_number(row, index, _excel_serial(value), formats["datetime"])
            elif kind == "percent" and isinstance(value, int | float):
                sheet.write_number(row, index, value, formats["percent"])
            else:
                sheet.write_string(row, index, str(inert(value)))
        self.row += 1


def _book(path: str):
    import xlsxwriter

    book = xlsxwriter.Workbook(path, {"constant_memory": True, "in_memory": False})
    formats = {
        "header": book.add_format(
            {"bold": True, "bg_color": "#E8F0EC", "border": 1, "text_wrap": True}
        ),
        "int": book.add_format({"num_format": "#,##0"}),
        "percent": book.add_format({"num_format": "0.0%"}),
        "datetime": book.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
    }
    return book, formats


async def xlsx_file(sheets: list[tuple[str, list, AsyncIterator[list]]]) -> str:
    """Write sheets [(title, columns, rows)] to a temporary .xlsx; its path (caller deletes).

    Sheets are written one after another (constant-memory mode writes row by row). Within a
    sheet, a worker thread writes one batch while the event loop reads the next."""
    handle, path = tempfile.mkstemp(suffix=".xlsx", prefix="canal-export-")
    os.close(handle)
    book, formats = await anyio.to_thread.run_sync(_book, path)
    try:
        for title, columns, rows in sheets:
            sheet = await anyio.to_thread.run_sync(_Sheet, book, title, columns, formats)
            await _write_overlapped(sheet, rows)
        await anyio.to_thread.run_sync(book.close)
    except BaseException:
        os.unlink(path)
        raise
    return path


async def _write_overlapped(sheet: _Sheet, rows: AsyncIterator[list]) -> None:
    batches: queue.Queue = queue.Queue(maxsize=2)  # at most two batches held in memory
    failure: list[BaseException] = []

    def consume() -> None:
        while (batch := batches.get()) is not None:
            if not failure:
                try:
                    _write_all(sheet, batch)
                except BaseException as error:  # keep draining so the producer never blocks
                    failure.append(error)

    writer = asyncio.get_running_loop().run_in_executor(None, consume)
    try:
        batch: list[list] = []
        async for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                await anyio.to_thread.run_sync(batches.put, batch)
                batch = []
        if batch:
            await anyio.to_thread.run_sync(batches.put, batch)
    finally:
        await anyio.to_thread.run_sync(batches.put, None)
        await writer
    if failure:
        raise failure[0]


def _write_all(sheet: _Sheet, rows: list[list]) -> None:
    for row in rows:
        sheet.write(row)


async def file_stream(path: str) -> AsyncIterator[bytes]:
    """The file's bytes in chunks; the file is removed afterwards."""
    try:
        with open(path, "rb") as handle:  # noqa: ASYNC230 — small reads of a local temp file
            while chunk := handle.read(CHUNK):
                yield chunk
    finally:
        os.unlink(path)


async def rows_of(items: list[list]) -> AsyncIterator[list]:
    for item in items:
        yield item
