"""Spreadsheet downloads, shared by the API's exports and their page-session twins."""

from __future__ import annotations

from urllib.parse import quote

from litestar.response import Stream

from events.reporting import exports

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"  # Litestar adds "; charset=utf-8" to text types


def download(content, media_type: str, name: str) -> Stream:
    """A streamed attachment; the Chinese file name as RFC 5987 says, ASCII as fallback."""
    ascii_name = name.encode("ascii", "ignore").decode() or "export"
    return Stream(
        content=content,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{ascii_name}"; '
            f"filename*=UTF-8''{quote(name)}",
            "Cache-Control": "no-store",
        },
    )


async def spreadsheet(kind: str, stem: str, columns: list, rows, title: str) -> Stream:
    """The rows as a .csv (`kind` "csv") or an .xlsx with one sheet named `title`."""
    if kind == "csv":
        return download(exports.csv_stream(columns, rows), CSV, f"{stem}.csv")
    path = await exports.xlsx_file([(title, columns, rows)])
    return download(exports.file_stream(path), XLSX, f"{stem}.xlsx")
