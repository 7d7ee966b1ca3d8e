"""The fast .xlsx row writer's own guarantees: text is always escaped, the xlsxwriter internals
it borrows are checked (with an error naming the pinned versions), and pyproject.toml pins the
versions the module names. Byte-for-byte equality with xlsxwriter: tests/reporting/test_exports.py.
"""

from __future__ import annotations

import re
import tomllib
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from xlsxwriter import utility
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet
from xlsxwriter.xmlwriter import XMLwriter

from events.reporting import xlsx_rows

COLUMNS = [("编号", 8, "int"), ("姓名", 14, "text")]


def _sheet_xml(path) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read("xl/worksheets/sheet1.xml")


def test_text_that_looks_like_rich_string_xml_is_escaped(tmp_path):
    """xlsxwriter passes `<r>…</r>` through raw in constant-memory mode; the fast path does not,
    so a registrant's name can never break the workbook's XML."""
    path = tmp_path / "fast.xlsx"
    book, formats = xlsx_rows.workbook(str(path))
    sheet = xlsx_rows.Sheet(book, "x", COLUMNS, formats, str)
    name = "<r><t>张</t></r><bad"
    sheet.write_rows([[1, name]])
    book.close()
    assert b"&lt;r&gt;&lt;t&gt;" in _sheet_xml(path)
    assert openpyxl.load_workbook(path).active["B2"].value == name


def test_text_cells_are_made_by_the_callers_rule(tmp_path):
    path = tmp_path / "fast.xlsx"
    book, formats = xlsx_rows.workbook(str(path))
    sheet = xlsx_rows.Sheet(book, "x", COLUMNS, formats, lambda value: f"[{value}]")
    sheet.write_rows([[7, "甲"], ["八", None]])
    book.close()
    values = list(openpyxl.load_workbook(path).active.iter_rows(values_only=True))
    assert values == [("编号", "姓名"), (7, "[甲]"), ("[八]", None)]


def test_the_library_helpers_the_fast_path_borrows_are_still_there():
    """A new xlsxwriter that renames these fails here, not in an organizer's export."""
    assert XMLwriter._escape_control_characters("a\x01_x0041_") == "a_x0001__x005F_x0041_"
    assert utility._preserve_whitespace(" a") and not utility._preserve_whitespace("a")
    book = xlsxwriter.Workbook(":memory:", {"constant_memory": True, "in_memory": True})
    sheet = book.add_worksheet()
    for name in ("_write_single_row", "previous_row", "dim_rowmax", "xls_rowmax", "fh"):
        assert hasattr(sheet, name), name
    xlsx_rows.check_library()  # the import-time check passes on the installed version


@pytest.mark.parametrize(
    ("owner", "name"),
    [
        (XMLwriter, "_escape_control_characters"),
        (utility, "_preserve_whitespace"),
        (Format, "_get_xf_index"),
        (Worksheet, "_write_single_row"),
    ],
)
def test_a_missing_borrowed_function_is_a_clear_error_naming_the_pinned_versions(
    monkeypatch, owner, name
):
    monkeypatch.delattr(owner, name)
    with pytest.raises(xlsx_rows.XlsxwriterMismatch) as caught:
        xlsx_rows.check_library()
    message = str(caught.value)
    assert name in message and xlsx_rows.PINNED in message
    assert xlsxwriter.__version__ in message


def test_the_check_runs_when_the_module_is_imported(monkeypatch):
    import importlib
    import sys

    monkeypatch.delattr(utility, "_preserve_whitespace")
    monkeypatch.delitem(sys.modules, "events.reporting.xlsx_rows")
    with pytest.raises(RuntimeError, match=re.escape(xlsx_rows.PINNED)) as caught:
        importlib.import_module("events.reporting.xlsx_rows")
    assert type(caught.value).__name__ == "XlsxwriterMismatch"  # the class of the new import


def test_a_worksheet_without_the_state_the_fast_path_keeps_is_refused(tmp_path, monkeypatch):
    book, formats = xlsx_rows.workbook(str(tmp_path / "x.xlsx"))
    real = Worksheet.__init__

    def without_dim_rowmax(self, *args, **kwargs):
        real(self, *args, **kwargs)
        del self.dim_rowmax

    monkeypatch.setattr(Worksheet, "__init__", without_dim_rowmax)
    with pytest.raises(xlsx_rows.XlsxwriterMismatch, match=r"Worksheet\.dim_rowmax"):
        xlsx_rows.Sheet(book, "x", COLUMNS, formats, str)
    book.close()


def test_a_worksheet_not_in_constant_memory_mode_is_refused(tmp_path):
    book = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"))  # the default: cells held in memory
    with pytest.raises(ValueError, match="constant-memory"):
        xlsx_rows.check_worksheet(book.add_worksheet())
    book.close()


def test_pyproject_pins_the_versions_the_module_was_tested_with():
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    dependencies = tomllib.loads(pyproject.read_text("utf-8"))["project"]["dependencies"]
    assert xlsx_rows.PINNED in dependencies
