"""The .xlsx writer of the exports: xlsxwriter in constant-memory mode, with a fast path for
data rows that writes the worksheet's row XML itself.

xlsxwriter's per-cell API costs ~9 µs a cell (call checks, a cell object, attribute escaping,
one file write per element), 7 s of a 100,000-row export. `Sheet.write_rows` writes the same
`<row>`/`<c>` elements that xlsxwriter's constant-memory mode writes itself — byte for byte,
tests/reporting/test_exports.py compares the two — into the worksheet's row-data file, one file
write per batch, and keeps the sheet's dimensions, so xlsxwriter assembles the worksheet around
them on close. The header row and everything else go through xlsxwriter's public API.

Borrowed xlsxwriter internals (none is public API; `check_library` and `check_worksheet` make
sure they are there and raise `XlsxwriterMismatch`, naming `PINNED`, when one is not):

- `xlsxwriter.xmlwriter.XMLwriter._escape_control_characters` — Excel's `_xHHHH_` escapes
- `xlsxwriter.utility._preserve_whitespace` — whether a text needs `xml:space="preserve"`
- `xlsxwriter.format.Format._get_xf_index` — a format's style index (a cell's `s="…"`)
- `xlsxwriter.worksheet.Worksheet._write_single_row` — flushes the row xlsxwriter holds
- on a constant-memory worksheet: `fh` (the row-data temporary file the rows go to),
  `previous_row` (the row xlsxwriter flushes next), `dim_rowmax` (the last row, for the sheet's
  `<dimension>`), `xls_rowmax` (Excel's row limit) and `constant_memory` itself.

Tested (the byte-for-byte test and the read-back test pass) with xlsxwriter 3.2.5, 3.2.6,
3.2.7, 3.2.8, 3.2.9, 3.3.0 and 3.3.1; pyproject.toml pins `PINNED`. Not usable: 3.2.0 (no
`_preserve_whitespace`) and 3.2.4 (does not import).

Known difference: text longer than 32,767 characters is cut at 32,767 characters; xlsxwriter
3.3 cuts at 32,767 UTF-16 units (3.2 at 32,767 characters), so the two differ only for a text of
more than 16,383 characters above U+FFFF.
"""

from __future__ import annotations

import asyncio
import os
import queue
import re
import tempfile
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

import anyio.to_thread
import xlsxwriter
from xlsxwriter import utility
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet
from xlsxwriter.xmlwriter import XMLwriter

PINNED = "xlsxwriter>=3.2.5,<3.4"
BATCH = 5000  # rows per write; at most two batches are held in memory

_BORROWED = (
    (XMLwriter, "XMLwriter", ("_escape_control_characters",)),
    (utility, "xlsxwriter.utility", ("_preserve_whitespace",)),
    (Format, "Format", ("_get_xf_index",)),
    (Worksheet, "Worksheet", ("_write_single_row",)),
)
_WORKSHEET_STATE = ("constant_memory", "fh", "previous_row", "dim_rowmax", "xls_rowmax")


class XlsxwriterMismatch(RuntimeError):
    """The installed xlsxwriter lacks an internal the fast row writer borrows."""


def _mismatch(missing: list[str]) -> XlsxwriterMismatch:
    version = getattr(xlsxwriter, "__version__", "?")
    return XlsxwriterMismatch(
        f"xlsxwriter {version} lacks {', '.join(missing)}, which events/reporting/xlsx_rows.py"
        f" borrows; install {PINNED} (the versions it is tested with)"
    )


def check_library() -> None:
    """Raise `XlsxwriterMismatch` unless every borrowed function and method exists."""
    missing = [
        f"{label}.{name}"
        for owner, label, names in _BORROWED
        for name in names
        if not callable(getattr(owner, name, None))
    ]
    if missing:
        raise _mismatch(missing)


def check_worksheet(sheet: Any) -> None:
    """Raise `XlsxwriterMismatch` unless the worksheet has the state the fast path keeps, and
    is in constant-memory mode with its row-data file open."""
    missing = [f"Worksheet.{name}" for name in _WORKSHEET_STATE if not hasattr(sheet, name)]
    if missing:
        raise _mismatch(missing)
    if not sheet.constant_memory or sheet.fh is None:
        raise ValueError("the fast row writer needs a worksheet in constant-memory mode")


check_library()


class Memo(dict):
    """A bounded memo of one conversion (a time's cell text or Excel serial)."""

    def __init__(self, convert, limit: int = 50_000) -> None:
        super().__init__()
        self.convert, self.limit = convert, limit

    def __missing__(self, key):
        if len(self) >= self.limit:
            self.clear()
        value = self[key] = self.convert(key)
        return value


EXCEL_EPOCH = datetime(1899, 12, 30)


def excel_serial(value: datetime) -> float:
    """Days since Excel's epoch, in the time's own (local) clock."""
    return (value.replace(tzinfo=None) - EXCEL_EPOCH).total_seconds() / 86400


def _serial_text(value: datetime) -> str:
    """The serial as xlsxwriter writes a number (`%.16G`)."""
    return f"{excel_serial(value):.16G}"


# Characters that need xlsxwriter's own escaping in a cell's text: XML specials, control
# characters, a literal `_xHHHH_`, the two non-characters, leading or trailing whitespace.
_SPECIAL = re.compile(r'[&<>"\n\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_|^\s|\s$')
_STRING_MAX = 32767  # Excel's longest cell text


def _inline_text(value: str) -> tuple[str, str]:
    """(escaped text, the <t> attribute) exactly as xlsxwriter writes an in-line string."""
    if len(value) > _STRING_MAX:
        value = value[:_STRING_MAX]
    if _SPECIAL.search(value) is None:
        return value, ""
    value = XMLwriter._escape_control_characters(value)
    preserve = ' xml:space="preserve"' if utility._preserve_whitespace(value) else ""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"), preserve


def workbook(path: str):
    """(workbook in constant-memory mode, the formats of the house style by cell kind)."""
    book = xlsxwriter.Workbook(path, {"constant_memory": True, "in_memory": False})
    formats = {
        "header": book.add_format(
            {"bold": True, "bg_color": "#E8F0EC", "border": 1, "text_wrap": True}
        ),
        "int": book.add_format({"num_format": "#,##0"}),
        "id": book.add_format({"num_format": "0"}),  # 8287, as in the check-in code 8287-…
        "percent": book.add_format({"num_format": "0.0%"}),
        "datetime": book.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
    }
    return book, formats


class Sheet:
    """A worksheet with the house style: headers, column widths, a frozen header row; data rows
    go through the fast path `write_rows`. Cells of kind `int`, `id`, `percent` that hold a
    number are numbers, a `datetime` cell holding a datetime is an Excel time, anything else
    is text made by `text` (the caller's rule for user text, e.g. never a live formula). Text
    is always escaped: unlike xlsxwriter, a text that looks like rich-string XML (`<r>…</r>`)
    is not passed through raw."""

    def __init__(
        self, book, title: str, columns: list, formats: dict, text: Callable[[Any], Any]
    ) -> None:
        self.sheet = book.add_worksheet(title[:31])
        check_worksheet(self.sheet)
        self.columns = columns
        self.kinds = [kind for _header, _width, kind in columns]
        self.formats = formats
        self.text = text
        for index, (header, width, _kind) in enumerate(columns):
            self.sheet.set_column(index, index, width)
            self.sheet.write_string(0, index, header, formats["header"])
        self.sheet.freeze_panes(1, 0)
        self.row = 1
        styles = {
            kind: f' s="{formats[kind]._get_xf_index()}"'
            for kind in ("int", "id", "datetime", "percent")
        }
        self._serials = Memo(_serial_text)
        self._cells = [
            (xl_col_to_name(index), kind, styles.get(kind, ""))
            for index, kind in enumerate(self.kinds)
        ]

    def write(self, values: list) -> None:
        self.write_rows([values])

    def write_rows(self, rows: list[list]) -> None:
        sheet = self.sheet
        first = self.row
        if first + len(rows) > sheet.xls_rowmax:
            raise ValueError("too many rows for one worksheet")
        sheet._write_single_row(first)  # flush what xlsxwriter holds (the header row)
        parts: list[str] = []
        append = parts.append
        cells, serials, text = self._cells, self._serials, self.text
        number = int | float
        for offset, values in enumerate(rows):
            at = str(first + offset + 1)  # XML rows count from 1
            start = len(parts)
            append(f'<row r="{at}">')
            for (letter, kind, style), value in zip(cells, values, strict=False):
                if value is None or value == "":
                    continue  # an empty cell: nothing to write
                if kind == "datetime" and isinstance(value, datetime):
                    serial = serials[value] if value.tzinfo is None else _serial_text(value)
                    append(f'<c r="{letter}{at}"{style}><v>{serial}</v></c>')
                elif kind != "text" and kind != "datetime" and isinstance(value, number):
                    append(f'<c r="{letter}{at}"{style}><v>{value:.16G}</v></c>')
                else:
                    escaped, preserve = _inline_text(str(text(value)))
                    append(
                        f'<c r="{letter}{at}" t="inlineStr"><is><t{preserve}>{escaped}</t></is></c>'
                    )
            if len(parts) == start + 1:
                parts.pop()  # no cell in this row: xlsxwriter writes no <row> either
            else:
                append("</row>")
        sheet.fh.write("".join(parts))
        self.row = last = first + len(rows)
        sheet.previous_row = last  # nothing pending: xlsxwriter's next flush writes nothing
        if rows and (sheet.dim_rowmax is None or last - 1 > sheet.dim_rowmax):
            sheet.dim_rowmax = last - 1


async def xlsx_file(
    sheets: list[tuple[str, list, AsyncIterator[list]]], text: Callable[[Any], Any]
) -> str:
    """Write sheets [(title, columns, rows)] to a temporary .xlsx; its path (caller deletes).
    Text cells are made by `text` (as in `Sheet`).

    Sheets are written one after another (constant-memory mode writes row by row). Within a
    sheet, a worker thread writes one batch while the event loop reads the next."""
    handle, path = tempfile.mkstemp(suffix=".xlsx", prefix="canal-export-")
    os.close(handle)
    book, formats = await anyio.to_thread.run_sync(workbook, path)
    try:
        for title, columns, rows in sheets:
            sheet = await anyio.to_thread.run_sync(Sheet, book, title, columns, formats, text)
            await _write_overlapped(sheet, rows)
        await anyio.to_thread.run_sync(book.close)
    except BaseException:
        os.unlink(path)
        raise
    return path


async def _write_overlapped(sheet: Sheet, rows: AsyncIterator[list]) -> None:
    batches: queue.Queue = queue.Queue(maxsize=2)  # at most two batches held in memory
    failure: list[BaseException] = []

    def consume() -> None:
        while (batch := batches.get()) is not None:
            if not failure:
                try:
                    sheet.write_rows(batch)
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
