"""Certificates of a drawing contest as PDF: one A4 landscape page per selected entry.

`render` makes one certificate (the family's download); `render_many` makes one print-ready
document of many (the organizer's), reusing one font object for all its pages. Nothing here
touches the database: the caller passes `Certificate` values.

The type is Noto Serif SC, embedded as a subset (a CFF `FontFile3`: only the glyphs a document
uses), from the `pylopdf-fonts-zh-cn` package (SIL OFL 1.1), so the PDF looks the same on every
machine and printer. Noto Serif SC covers the usual and the rarer characters of names (龘, 彧,
堃, …) but not all of CJK extension B; a character it lacks is set in Noto Sans CJK JP (the
`noto-cjk-sans-jp-regular` package, OFL), which has many more (𠮷, …), when that package is
installed; a character neither has prints as an empty box, and nothing fails. The QR code is
drawn as vectors (one filled path), so it stays sharp at any printing resolution.
"""

from __future__ import annotations

import datetime
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path

import qrcode
import qrcode.exceptions
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.drawing import PaintedPath
from fpdf.enums import PathPaintRule
from fpdf.prefs import ViewerPreferences

from events.core.errors import Invalid
from events.core.i18n import gettext as _
from events.core.validation import CONTROL_CHARS

__all__ = ["Certificate", "render", "render_many"]


@dataclass(frozen=True)
class Certificate:
    child_name: str  # full name (the certificate is the family's own document)
    award: str  # e.g. "一等奖", "二等奖", "三等奖", "优秀奖"
    contest_title: str  # e.g. "2026年拱墅区青少年反邪教绘画大赛"
    group_name: str  # e.g. "小学低年级组"
    entry_title: str  # the drawing's title
    issuer: str  # issuing unit, e.g. "杭州市拱墅区科学技术局"
    issued_on: datetime.date
    number: str  # the certificate number/code, e.g. "GS26-7KQ3-M9XD" (printed)
    verify_url: str  # the QR's exact text, e.g. "https://example.org/v/GS26-7KQ3-M9XD"


# Longest text a field may hold: far more than a layout shows (long text shrinks, then wraps,
# then ends in "…"), small enough that a page is always quick to set.
MAX_TEXT = 500
MAX_URL = 1000  # a QR of this many bytes is still readable at the printed size

# --- The page (millimetres; A4 landscape) ---
PAGE_W, PAGE_H = 297.0, 210.0
TEXT_LEFT, TEXT_RIGHT = 36.0, PAGE_W - 36.0
TEXT_W = TEXT_RIGHT - TEXT_LEFT
QR_X, QR_Y, QR_SIZE = 24.0, 148.0, 32.0  # the code's dark modules (its quiet zone is white page)
# Boxes (x, top, width, height) that each text is shrunk or wrapped into: none overlaps another.
NAME_BOX = (TEXT_LEFT, 54.0, TEXT_W, 16.0)
BODY_BOX = (TEXT_LEFT, 72.0, TEXT_W, 34.0)
AWARD_BOX = (TEXT_LEFT + 20, 107.0, TEXT_W - 40, 24.0)
CLOSING_BOX = (TEXT_LEFT, 132.0, TEXT_W, 9.0)
ISSUER_BOX = (TEXT_RIGHT - 120, 150.0, 120.0, 25.0)
DATE_BOX = (TEXT_RIGHT - 120, 176.0, 120.0, 9.0)
VERIFY_BOX = (QR_X - 4, QR_Y + QR_SIZE + 5.5, QR_SIZE + 8, 6.0)  # below the quiet zone
NUMBER_BOX = (QR_X + QR_SIZE + 6, 165.0, TEXT_RIGHT - 120 - (QR_X + QR_SIZE + 6) - 6, 17.0)

RED = (158, 27, 36)
GOLD = (176, 132, 48)
INK = (38, 38, 38)
GREY = (96, 96, 96)

PT = 25.4 / 72  # one point in millimetres
LEADING = 1.55  # line height / font size

# Chinese line breaking: these may not begin a line, those may not end one.
NO_LINE_START = set("，。、；：？！）》」』】〕〉”’…—·%,.;:?!)]}")
NO_LINE_END = set("（《「『【〔〈“‘([{")
_TOKENS = re.compile(r"[A-Za-z0-9@#&+\-_/.]+|\s|.", re.DOTALL)

PRIMARY = "NotoSerifSC"
FALLBACK = "NotoSansCJKjp"

logger = logging.getLogger(__name__)


# --- Fonts ---


def _primary_font_path() -> Path:
    import pylopdf_fonts_zh_cn

    return Path(pylopdf_fonts_zh_cn.serif_path())


def _fallback_font_path() -> Path | None:
    try:
        import noto_cjk_sans_jp_regular
    except ImportError:
        return None
    return Path(str(noto_cjk_sans_jp_regular.FONT_PATH))


@lru_cache(maxsize=4)
def _code_points(path: Path) -> frozenset[int]:
    font = TTFont(path, lazy=True)
    try:
        return frozenset(font.getBestCmap())
    finally:
        font.close()


def _characters(certificates: list[Certificate]) -> set[str]:
    chars: set[str] = set()
    for certificate in certificates:
        for field in fields(Certificate):
            value = getattr(certificate, field.name)
            if isinstance(value, str):
                chars.update(value)
    return chars


def _new_document(certificates: list[Certificate]) -> FPDF:
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.c_margin = 0
    primary = _primary_font_path()
    pdf.add_font(PRIMARY, fname=primary)
    # The fallback font is opened only for a document that needs it (it is large).
    fallback = _fallback_font_path()
    if fallback is not None:
        missing = {ord(c) for c in _characters(certificates)} - _code_points(primary)
        if missing & _code_points(fallback):
            pdf.add_font(FALLBACK, fname=fallback)
            pdf.set_fallback_fonts([FALLBACK])
    pdf.set_lang("zh-CN")
    pdf.set_creator("Canal Events")
    pdf.set_title(_("荣誉证书"))
    pdf.viewer_preferences = ViewerPreferences(print_scaling="None")  # print at 100 %
    return pdf


# --- Validation ---


def _check(certificate: object) -> Certificate:
    if not isinstance(certificate, Certificate):
        raise Invalid(_("证书数据不完整"))
    errors: dict[str, str] = {}
    for field in fields(Certificate):
        value = getattr(certificate, field.name)
        if field.name == "issued_on":
            if not isinstance(value, datetime.date):
                errors[field.name] = _("须为日期")
            continue
        if not isinstance(value, str) or not value.strip():
            errors[field.name] = _("不能为空")
        elif len(value) > (MAX_URL if field.name == "verify_url" else MAX_TEXT):
            errors[field.name] = _("过长")
        elif set(value) & CONTROL_CHARS or "\n" in value or "\r" in value:
            errors[field.name] = _("不能包含控制字符或换行")
    if errors:
        raise Invalid(_("证书数据有误"), fields=errors)
    return certificate


# --- Text layout ---


def _break_lines(pdf: FPDF, text: str, width: float) -> list[str]:
    """Greedy line breaking at characters (Latin words and numbers kept whole unless longer
    than a line), without a closing mark at a line's start or an opening one at its end."""
    lines: list[str] = []
    line = ""
    for token in _TOKENS.findall(text):
        if pdf.get_string_width(line + token) <= width:
            line += token
        elif pdf.get_string_width(token) > width:  # a word longer than a line: split it
            for char in token:
                if line and pdf.get_string_width(line + char) > width:
                    lines.append(line)
                    line = ""
                line += char
        else:
            carry = ""
            if token[0] in NO_LINE_START and len(line) > 1:
                line, carry = line[:-1], line[-1]
            while len(line) > 1 and line[-1] in NO_LINE_END:
                line, carry = line[:-1], line[-1] + carry
            lines.append(line.rstrip())
            line = (carry + token).lstrip()
    if line:
        lines.append(line)
    return lines or [""]


def _ellipsize(pdf: FPDF, line: str, width: float) -> str:
    while line and pdf.get_string_width(line + "…") > width:
        line = line[:-1]
    return line + "…"


def _line_height(size: float) -> float:
    return size * PT * LEADING


def _fit(
    pdf: FPDF,
    text: str,
    width: float,
    height: float,
    size: float,
    min_size: float,
    tail: str = "",
) -> tuple[float, list[str]]:
    """The font size and lines that set `text` + `tail` in a box of `width` x `height`: one
    line while that can be had at 3/4 of `size` or more, else the largest size (down to
    `min_size`) at which the wrapped lines fit. At `min_size` a text longer still is cut with
    "…", before the `tail`, which is always shown (e.g. " 同学：" after a name)."""
    whole = text + tail
    sizes = [size - step for step in range(int(size - min_size) + 1)]
    for candidate in sizes:
        if candidate < size * 0.75:
            break
        pdf.set_font_size(candidate)
        if pdf.get_string_width(whole) <= width:
            return candidate, [whole]
    for candidate in sizes:
        pdf.set_font_size(candidate)
        lines = _break_lines(pdf, whole, width)
        if len(lines) * _line_height(candidate) <= height + 0.01:
            return candidate, lines
    pdf.set_font_size(min_size)
    fitting = max(1, int((height + 0.01) // _line_height(min_size)))
    lines = _break_lines(pdf, text, width)[:fitting]
    last = _ellipsize(pdf, lines[-1], width - pdf.get_string_width(tail)) + tail
    return min_size, [*lines[:-1], last]


def _write_lines(
    pdf: FPDF, lines: list[str], x: float, y: float, width: float, size: float, align: str
) -> float:
    """Writes the lines from top `y`; returns the bottom of the last one."""
    height = _line_height(size)
    for line in lines:
        pdf.set_xy(x, y)
        pdf.cell(width, height, line, align=align)
        y += height
    return y


# --- The page ---


def _frame(pdf: FPDF) -> None:
    pdf.set_draw_color(*RED)
    pdf.set_line_width(1.4)
    pdf.rect(9, 9, PAGE_W - 18, PAGE_H - 18)
    pdf.set_draw_color(*GOLD)
    pdf.set_line_width(0.35)
    pdf.rect(12.5, 12.5, PAGE_W - 25, PAGE_H - 25)
    pdf.set_line_width(0.2)
    pdf.rect(14, 14, PAGE_W - 28, PAGE_H - 28)
    # A small gold diamond at each corner of the inner frame.
    pdf.set_fill_color(*GOLD)
    for cx, cy in ((14, 14), (PAGE_W - 14, 14), (14, PAGE_H - 14), (PAGE_W - 14, PAGE_H - 14)):
        pdf.polygon([(cx, cy - 3), (cx + 3, cy), (cx, cy + 3), (cx - 3, cy)], style="FD")
    # A rule under the title.
    pdf.set_draw_color(*GOLD)
    pdf.set_line_width(0.5)
    pdf.line(PAGE_W / 2 - 45, 50, PAGE_W / 2 + 45, 50)


def _qr(pdf: FPDF, text: str) -> None:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(text)
    try:
        code.make(fit=True)
    except (qrcode.exceptions.DataOverflowError, ValueError) as error:
        raise Invalid(_("验证链接过长"), fields={"verify_url": _("过长")}) from error
    matrix = code.get_matrix()
    module = QR_SIZE / len(matrix)
    pdf.set_fill_color(0, 0, 0)
    # One filled path of horizontal runs: no seams between modules when rasterized. Built
    # apart and drawn without fpdf2's defensive deep copy of it (most of a page's time).
    path = PaintedPath()
    path.style.fill_color = "#000000"
    path.style.stroke_color = None
    path.style.paint_rule = PathPaintRule.FILL_NONZERO
    for row, cells in enumerate(matrix):
        column = 0
        while column < len(cells):
            if not cells[column]:
                column += 1
                continue
            start = column
            while column < len(cells) and cells[column]:
                column += 1
            path.rectangle(
                QR_X + start * module, QR_Y + row * module, (column - start) * module, module
            )
    pdf.draw_path(path, copy=False)


def _boxed(
    pdf: FPDF,
    text: str,
    box: tuple[float, float, float, float],
    size: float,
    min_size: float,
    *,
    tail: str = "",
    align: str = "L",
    valign: str = "T",
) -> None:
    """Sets `text` + `tail` inside the box (x, top, width, height), shrinking or wrapping it
    to fit."""
    x, top, width, height = box
    size, lines = _fit(pdf, text, width, height, size, min_size, tail)
    used = len(lines) * _line_height(size)
    if valign == "B":
        top += height - used
    elif valign == "M":
        top += (height - used) / 2
    _write_lines(pdf, lines, x, top, width, size, align)


def _split_tail(template: str, **values: str) -> tuple[str, str]:
    """The template filled in, as (text, tail): the tail is what follows its last field, kept
    whole when the text must be cut."""
    tail = template.rsplit("}", 1)[1] if "}" in template else ""
    filled = template.format(**values)
    return filled[: len(filled) - len(tail)], tail


def _page(pdf: FPDF, certificate: Certificate) -> None:
    pdf.add_page()
    _frame(pdf)
    pdf.set_font(PRIMARY, size=44)

    pdf.set_text_color(*RED)
    pdf.set_char_spacing(8)
    pdf.set_xy(0, 24)
    pdf.cell(PAGE_W, 22, _("荣誉证书"), align="C")
    pdf.set_char_spacing(0)

    pdf.set_text_color(*INK)
    name, tail = _split_tail(_("{name} 同学："), name=certificate.child_name)
    _boxed(pdf, name, NAME_BOX, 24, 13, tail=tail)
    sentence, tail = _split_tail(
        _("你的作品《{entry}》在{contest}（{group}）中荣获"),
        entry=certificate.entry_title,
        contest=certificate.contest_title,
        group=certificate.group_name,
    )
    _boxed(pdf, "\u3000\u3000" + sentence, BODY_BOX, 20, 10, tail=tail)
    pdf.set_text_color(*RED)
    _boxed(pdf, certificate.award, AWARD_BOX, 40, 16, align="C", valign="M")
    pdf.set_text_color(*INK)
    _boxed(pdf, _("特发此证，以资鼓励。"), CLOSING_BOX, 18, 10)

    # Bottom right: the issuer and the date, centred on each other.
    _boxed(pdf, certificate.issuer, ISSUER_BOX, 18, 10, align="C", valign="B")
    issued_on = certificate.issued_on
    date = _("{year}年{month}月{day}日").format(
        year=issued_on.year, month=issued_on.month, day=issued_on.day
    )
    _boxed(pdf, date, DATE_BOX, 16, 10, align="C")

    # Bottom left: the QR, "扫码验证" under it, the number beside it.
    _qr(pdf, certificate.verify_url)
    pdf.set_text_color(*GREY)
    _boxed(pdf, _("扫码验证"), VERIFY_BOX, 10, 7, align="C")
    number_line = _("证书编号：{number}").format(number=certificate.number)
    _boxed(pdf, number_line, NUMBER_BOX, 11, 7, valign="B")


# --- Public API ---


def render_many(certificates: Iterable[Certificate]) -> bytes:
    """One PDF, one A4 landscape page per certificate, in the order given."""
    checked = [_check(certificate) for certificate in certificates]
    if not checked:
        raise Invalid(_("没有可打印的证书"))
    pdf = _new_document(checked)
    for certificate in checked:
        _page(pdf, certificate)
    return bytes(pdf.output())


def render(certificate: Certificate) -> bytes:
    """One certificate: a PDF of one A4 landscape page."""
    return render_many([certificate])
