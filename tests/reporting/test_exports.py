"""The exports: the .xlsx fast path (events/reporting/xlsx_rows.py) writes exactly what
xlsxwriter's own API writes, with the exports' text rule (no database); times in cells; the
registrant export's columns. The writer's own checks: tests/reporting/test_xlsx_rows.py."""

from __future__ import annotations

import zipfile
from datetime import datetime

import openpyxl
import pytest
from xlsxwriter.xmlwriter import XMLwriter

from events.reporting import exports, xlsx_rows

COLUMNS = [
    ("编号", 8, "int"),
    ("姓名", 14, "text"),
    ("报名时间", 17, "datetime"),
    ("完成率", 10, "percent"),
    ("备注", 20, "text"),
]

TRICKY = [
    "张三",
    " leading space",
    "trailing space ",
    "a&b<c>d\"e'",
    "line\nbreak",
    "tab\tinside",
    "bell\x07and nul\x00",
    "literal _x0041_ escape",
    "non-character \ufffe\uffff",
    "emoji 🎨 and 𠀀",
    '=HYPERLINK("http://x","y")',
    "+1",
    "-2",
    "@SUM(A1)",
    "\u3000全角空格\u3000",
    "x" * 40000,
]


def _rows() -> list[list]:
    rows = []
    for index, text in enumerate(TRICKY):
        rows.append(
            [
                index + 1,
                text,
                datetime(2026, 3, 1, 9, index % 60),
                index / 7,
                None if index % 3 else "",
            ]
        )
    rows.append([None, None, None, None, None])  # an empty row still counts
    rows.append([12345678901234567, "big", "not a time", "n/a", 0])
    rows.append([True, 3.5, None, 1, "tail"])
    return rows


def _library_write(sheet: xlsx_rows.Sheet, values: list) -> None:
    """The per-cell xlsxwriter calls the exporter made before the fast path."""
    ws, row, formats = sheet.sheet, sheet.row, sheet.formats
    for index, value in enumerate(values):
        if value is None or value == "":
            continue
        kind = sheet.kinds[index]
        if kind == "int" and isinstance(value, int | float):
            ws.write_number(row, index, value, formats["int"])
        elif kind == "datetime" and isinstance(value, datetime):
            ws.write_number(row, index, xlsx_rows.excel_serial(value), formats["datetime"])
        elif kind == "percent" and isinstance(value, int | float):
            ws.write_number(row, index, value, formats["percent"])
        else:
            ws.write_string(row, index, str(exports.inert(value)))
    sheet.row += 1


def _book(path, fast: bool, batches: int = 1) -> None:
    book, formats = xlsx_rows.workbook(str(path))
    sheet = xlsx_rows.Sheet(book, "报名名单", COLUMNS, formats, exports.inert)
    rows = _rows()
    if fast:
        size = max(1, len(rows) // batches)
        for start in range(0, len(rows), size):
            sheet.write_rows(rows[start : start + size])
    else:
        for row in rows:
            _library_write(sheet, row)
    book.close()


def _sheet_xml(path) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read("xl/worksheets/sheet1.xml")


@pytest.mark.parametrize("batches", [1, 4])
def test_fast_rows_are_byte_for_byte_what_xlsxwriter_writes(tmp_path, batches):
    _book(tmp_path / "library.xlsx", fast=False)
    _book(tmp_path / "fast.xlsx", fast=True, batches=batches)
    library, fast = _sheet_xml(tmp_path / "library.xlsx"), _sheet_xml(tmp_path / "fast.xlsx")
    assert b"<sheetData>" in fast and b'<dimension ref="A1:E20"/>' in fast
    assert fast == library


def test_fast_rows_read_back_as_written(tmp_path):
    path = tmp_path / "fast.xlsx"
    _book(path, fast=True)
    sheet = openpyxl.load_workbook(path).active
    assert sheet.freeze_panes == "A2"
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == ("编号", "姓名", "报名时间", "完成率", "备注")
    texts = [row[1] for row in values[1 : len(TRICKY) + 1]]
    for written, read in zip(TRICKY, texts, strict=True):
        # openpyxl leaves Excel's _xHHHH_ escapes as they are; Excel itself undoes them
        expected = XMLwriter._escape_control_characters(exports.inert(written)[:32767])
        assert read == expected
    assert isinstance(values[1][2], datetime) and values[1][2] == datetime(2026, 3, 1, 9, 0)
    assert values[-1] == (1, "3.5", None, 1, "tail")
    assert values[-2][2] == "not a time" and values[-2][4] == "0"  # a text column
    assert sheet.max_row == len(_rows()) + 1


def test_minutes_are_shanghai_clock_times_to_the_minute():
    from datetime import UTC, timedelta, timezone

    minutes = exports._Minutes()
    utc = datetime(2026, 12, 31, 16, 30, 59, 999999, tzinfo=UTC)
    assert minutes(utc) == datetime(2027, 1, 1, 0, 30)  # the next day in Shanghai
    assert minutes(datetime(2026, 3, 1, 9, 5, 30)) == datetime(2026, 3, 1, 9, 5)  # naive: Shanghai
    elsewhere = datetime(2026, 3, 1, 9, 5, tzinfo=timezone(timedelta(hours=-5)))
    assert minutes(elsewhere) == datetime(2026, 3, 1, 22, 5)
    assert minutes(None) is None
    assert minutes(utc) is minutes(utc.replace(second=1))  # one object per minute
    assert minutes(utc).tzinfo is None


def test_cell_texts_of_aware_times_follow_their_own_clock():
    """Two aware times that are the same instant in different zones print their own clocks."""
    from datetime import UTC, timedelta, timezone

    times = xlsx_rows.Memo(exports._minute_text)
    here = datetime(2026, 3, 1, 10, 0, tzinfo=timezone(timedelta(hours=8)))
    there = here.astimezone(UTC)
    assert exports._cell_text(here, times) == "2026-03-01 10:00"
    assert exports._cell_text(there, times) == "2026-03-01 02:00"
    assert exports._cell_text(datetime(2026, 3, 1, 10, 0), times) == "2026-03-01 10:00"


async def test_registrant_export_has_a_column_per_question(db):
    from events.registration import admin as registration_admin
    from events.registration import registration as reg
    from tests.registration.test_registration import make_event

    event = await make_event(capacity=10)
    await registration_admin.set_questions(
        event["id"],
        [
            {"label": "=您的单位？", "kind": "text", "options": [], "required": False},
            {"label": "方向", "kind": "multiple", "options": ["AI", "生物"], "required": False},
        ],
        None,
    )
    questions = await exports.export_questions(event["id"])
    first, second = (str(q["id"]) for q in questions)
    await reg.register(
        event["id"],
        {"name": "甲", "phone": "13900000001", "answers": {first: "运河", second: ["AI", "生物"]}},
    )
    await reg.register(event["id"], {"name": "乙", "phone": "13900000002"})
    columns = exports.registrant_columns(False, event, questions)
    assert [header for header, _w, _k in columns][-2:] == ["=您的单位？", "方向"]
    assert columns[0][2] == "id"  # 8287, not 8,287
    rows = [row async for row in exports.registrant_rows(event["id"], False, event, questions)]
    assert [row[-2:] for row in rows] == [["运河", "AI、生物"], ["", ""]]
    assert [len(row) for row in rows] == [len(columns)] * 2
    body = b"".join(
        [
            chunk
            async for chunk in exports.csv_stream(
                columns, exports.registrant_rows(event["id"], False, event, questions)
            )
        ]
    ).decode("utf-8-sig")
    header = body.splitlines()[0]
    assert header.endswith(",'=您的单位？,方向")  # a label is never a live formula
