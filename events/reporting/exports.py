"""Spreadsheets for reporting upward: attendance per event, registrants per event, the annual
report workbook. CSV carries a UTF-8 BOM (Excel then reads Chinese correctly); XLSX has
Chinese headers, column widths, a frozen header row and number formats.

Rows are read from the database in batches by id and written as they come, so a large export
takes constant memory: CSV is streamed as it is made; XLSX is written by xlsxwriter in its
constant-memory mode to a temporary file (in a worker thread, a batch at a time, by the fast
row writer of `events.reporting.xlsx_rows`), then streamed from it. User text never becomes a
live formula: a cell starting with `=`, `+`, `-`, `@` (or a tab or carriage return) is prefixed
with `'`.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from events.accounts import audit
from events.core.db import write_transaction
from events.core.errors import Invalid
from events.core.i18n import N_
from events.core.i18n import gettext as _
from events.core.kinds import KINDS, STATUSES
from events.core.phones import mask
from events.core.timeutil import TZ, local, now
from events.reporting import xlsx_rows
from events.reporting.stats import check_year, year_bounds
from events.reporting.xlsx_rows import Memo
from events.tables import Event, Registration

BATCH = 5000
CHUNK = 64 * 1024
_LIVE = ("=", "+", "-", "@", "\t", "\r")


def inert(value: Any) -> Any:
    """A value safe to put in a spreadsheet cell: text never starts a formula."""
    if isinstance(value, str) and value.startswith(_LIVE):
        return "'" + value
    return value


class _Minutes:
    """Times for spreadsheet cells: naive Asia/Shanghai, to the minute, one object per distinct
    minute (a registrant export holds ~200,000 times; converting each with the zone database
    was a third of the export's time). Naive input is Shanghai time, as `timeutil.aware`."""

    LIMIT = 50_000

    def __init__(self) -> None:
        self.cache: dict[int, datetime] = {}

    def __call__(self, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=TZ)
        key = int(value.timestamp() // 60)
        minute = self.cache.get(key)
        if minute is None:
            if len(self.cache) >= self.LIMIT:
                self.cache.clear()
            minute = datetime.fromtimestamp(key * 60, TZ).replace(tzinfo=None)
            self.cache[key] = minute
        return minute


def _cell_text(value: Any, times: Memo | None = None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        # aware times equal as instants may differ on the clock: only naive ones are memoised
        return times[value] if times is not None and value.tzinfo is None else _minute_text(value)
    return inert(value)


def _minute_text(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M")


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


async def export_questions(event_id: int) -> list[dict]:
    """The event's registration questions (not removed ones), in the form's order: one column
    each in the registrant export."""
    from events.registration.form import questions_of

    return await questions_of(event_id)


def registrant_columns(
    unmasked: bool = False, event: dict | None = None, questions: list[dict] | tuple = ()
) -> list[tuple[str, int, str]]:
    """The registrant sheet's columns; adults/children only for a parent-child event and the
    company only for an event that asks for it (all of them when `event` is None); then one
    column per question of `export_questions`."""
    columns = [
        (_("编号"), 8, "id"),
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
        *((question["label"], 20, "text") for question in questions),
    ]


def _answer_cells(answers: Any, questions: list[dict] | tuple) -> list[str]:
    """A registration's answers in the questions' order (several choices joined by 、)."""
    if isinstance(answers, str):
        try:
            answers = json.loads(answers or "{}")
        except ValueError:
            answers = {}
    if not isinstance(answers, dict):
        answers = {}
    cells = []
    for question in questions:
        value = answers.get(str(question["id"]), "")
        cells.append("、".join(map(str, value)) if isinstance(value, list) else str(value or ""))
    return cells


SOURCES = {"web": N_("网页"), "api": N_("接口"), "walk_in": N_("现场"), "organizer": N_("主办方")}


async def registrant_rows(
    event_id: int,
    unmasked: bool = False,
    event: dict | None = None,
    questions: list[dict] | tuple = (),
) -> AsyncIterator[list]:
    """Every registration of the event in order of arrival, read BATCH rows at a time, in
    the columns of `registrant_columns(unmasked, event, questions)`."""
    party_detail, company = _party_detail(event), _company(event)
    statuses = {key: _(label) for key, label in REGISTRATION_STATUS.items()}
    sources = {key: _(label) for key, label in SOURCES.items()}
    minutes = _Minutes()
    last = 0
    while True:
        rows = await Registration.raw(
            "SELECT id, name, phone, party_size, adults, children, company, status,"
            " created_at, checked_in_at, source"
            + (", answers" if questions else "")
            + " FROM registration"
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
            status, source = row["status"], row["source"]
            values += [
                statuses.get(status, status),
                minutes(row["created_at"]),
                minutes(row["checked_in_at"]),
                sources.get(source, source),
            ]
            if questions:
                values += _answer_cells(row["answers"], questions)
            yield values
        if len(rows) < BATCH:
            return
        last = rows[-1]["id"]


async def attendance_export(year: int) -> tuple[str, list, Any]:
    """(file name stem, columns, rows) of the year's attendance per event."""
    check_year(year)
    return (
        _("{year} 年活动签到统计").format(year=year),
        attendance_columns(),
        attendance_rows(year),
    )


async def registrant_export(event: dict, unmasked: bool = False) -> tuple[str, list, Any]:
    """(file name stem, columns, rows) of an event's registrant list, for `csv_stream` or
    `xlsx_file`; with `unmasked`, call `record_unmasked` first."""
    questions = await export_questions(event["id"])
    return (
        _("{title} 报名名单").format(title=event["title"][:60]),
        registrant_columns(unmasked, event, questions),
        registrant_rows(event["id"], unmasked, event, questions),
    )


UNMASKED_REASON = N_("导出完整手机号须说明理由（4–200 字，不含控制字符）")


async def record_unmasked(actor: dict | None, event_id: int, reason: Any, kind: str) -> None:
    """An export with full phone numbers needs a stated reason (4–200 printable characters),
    written with who asked to the audit log before the file is made."""
    reason = reason.strip() if isinstance(reason, str) else ""
    if not 4 <= len(reason) <= 200 or not reason.isprintable():
        message = _(UNMASKED_REASON)
        raise Invalid(message, {"reason": message})
    async with write_transaction():
        await audit.record(
            actor, "export.unmasked", "event", event_id, after={"reason": reason, "format": kind}
        )


# --- writers --------------------------------------------------------------------------------


async def csv_stream(columns: list, rows: AsyncIterator[list]) -> AsyncIterator[bytes]:
    """CSV with a UTF-8 BOM, yielded in chunks as the rows arrive."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([inert(header) for header, _width, _kind in columns])  # labels are user text
    times = Memo(_minute_text)
    async for row in rows:
        writer.writerow([_cell_text(value, times) for value in row])
        if buffer.tell() >= CHUNK:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


async def xlsx_file(sheets: list[tuple[str, list, AsyncIterator[list]]]) -> str:
    """Write sheets [(title, columns, rows)] to a temporary .xlsx (see `xlsx_rows`), text made
    `inert`; its path (caller deletes)."""
    return await xlsx_rows.xlsx_file(sheets, inert)


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
