"""Certificate PDFs, read back the way a person or a phone would: the page rasterized by
pdfium, its QR read by zxing-cpp, its text extracted by pdfium, its fonts taken from the file."""

from __future__ import annotations

import dataclasses
import datetime
import io
import re
import time
import zlib

import pypdfium2 as pdfium
import pytest
import zxingcpp
from fontTools.cffLib import CFFFontSet
from fontTools.ttLib import TTFont

from events.contests.certificate_pdf import Certificate, render, render_many
from events.core.errors import Invalid

MM = 72 / 25.4  # PDF points per millimetre
DPI = 200

BASE = Certificate(
    child_name="张彧",
    award="一等奖",
    contest_title="2026年拱墅区青少年反邪教绘画大赛",
    group_name="小学低年级组",
    entry_title="我心中的科学之光",
    issuer="杭州市拱墅区科学技术局",
    issued_on=datetime.date(2026, 12, 4),
    number="GS26-7KQ3-M9XD",
    verify_url="https://example.org/v/GS26-7KQ3-M9XD",
)

LONG = dataclasses.replace(
    BASE,
    child_name="阿卜杜热合曼·买买提艾力·欧阳龘堃彧" * 4,
    award="优秀奖（特别提名·最佳创意与想象力奖）" * 3,
    contest_title="2026年拱墅区青少年反邪教绘画大赛暨“崇尚科学、反对邪教”主题宣传月系列活动" * 4,
    group_name="小学低年级组（一至三年级，含特殊教育学校同龄学生）" * 2,
    entry_title="我心中的科学之光 The Light of Science in My Heart " * 5,
    issuer="杭州市拱墅区科学技术局、杭州市拱墅区教育局、共青团杭州市拱墅区委员会" * 3,
    number="GS26-7KQ3-M9XD-" * 8,
)


def _document(pdf: bytes) -> pdfium.PdfDocument:
    assert pdf.startswith(b"%PDF-")
    return pdfium.PdfDocument(pdf)


def _text(page: pdfium.PdfPage) -> str:
    return re.sub(r"\s+", "", page.get_textpage().get_text_range())


def _read_qr(page: pdfium.PdfPage) -> list[zxingcpp.Barcode]:
    image = page.render(scale=DPI / 72).to_pil()
    return zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)


def _qr_box_mm(code: zxingcpp.Barcode) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of the code's modules on the page, in mm from top left."""
    corners = code.position
    xs = [p.x for p in (corners.top_left, corners.top_right, corners.bottom_left)]
    ys = [p.y for p in (corners.top_left, corners.top_right, corners.bottom_left)]
    px_mm = 25.4 / DPI
    # zxing reports the centres of the corner modules' outer pixels: within one pixel.
    return min(xs) * px_mm, min(ys) * px_mm, (max(xs) + 1) * px_mm, (max(ys) + 1) * px_mm


def _char_boxes_mm(page: pdfium.PdfPage) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Each printed character with its box (left, top, right, bottom) in mm from top left."""
    textpage = page.get_textpage()
    height = page.get_height()
    boxes = []
    for index in range(textpage.count_chars()):
        char = textpage.get_text_range(index, 1)
        if not char.strip():
            continue
        left, bottom, right, top = textpage.get_charbox(index)
        boxes.append((char, (left / MM, (height - top) / MM, right / MM, (height - bottom) / MM)))
    return boxes


def _font_programs(pdf: bytes) -> list[tuple[str, bytes]]:
    """The embedded font files (FontFile2 = TrueType, FontFile3 = CFF), decompressed."""
    programs = []
    for kind, number in re.findall(rb"/(FontFile[23])\s+(\d+)\s+0\s+R", pdf):
        header = re.search(
            rb"(?<![0-9])" + number + rb"\s+0\s+obj\s*<<(.*?)>>\s*stream\r?\n", pdf, re.S
        )
        assert header, f"font stream {number!r} not found"
        length = int(re.search(rb"/Length\s+(\d+)", header.group(1)).group(1))
        data = pdf[header.end() : header.end() + length]
        if b"/FlateDecode" in header.group(1):
            data = zlib.decompress(data)
        programs.append((kind.decode(), data))
    return programs


def _glyph_count(kind: str, program: bytes) -> int:
    if kind == "FontFile2":
        return len(TTFont(io.BytesIO(program)).getGlyphOrder())
    fonts = CFFFontSet()
    fonts.decompile(io.BytesIO(program), otFont=None)
    return len(fonts[fonts.fontNames[0]].CharStrings)


def test_the_qr_read_from_the_printed_page_is_exactly_the_verify_url_and_at_least_30_mm():
    certificate = dataclasses.replace(
        BASE, verify_url="https://example.org/v/GS26-7KQ3-M9XD?from=paper&n=0042"
    )
    page = _document(render(certificate))[0]
    codes = _read_qr(page)
    assert [code.text for code in codes] == [certificate.verify_url]
    left, top, right, bottom = _qr_box_mm(codes[0])
    assert right - left >= 30 and bottom - top >= 30


def test_the_page_is_one_a4_landscape_page_with_the_name_award_number_and_date_in_its_text():
    document = _document(render(BASE))
    assert len(document) == 1
    width, height = document[0].get_size()
    assert (round(width / MM), round(height / MM)) == (297, 210)
    text = _text(document[0])
    for expected in (
        "荣誉证书",
        "张彧同学：",
        BASE.award,
        BASE.number,
        "你的作品《我心中的科学之光》在2026年拱墅区青少年反邪教绘画大赛（小学低年级组）中荣获",
        BASE.issuer,
        "2026年12月4日",
        "扫码验证",
    ):
        assert expected in text


def test_the_font_is_embedded_as_a_small_subset_and_no_system_font_is_referenced():
    pdf = render(BASE)
    programs = _font_programs(pdf)
    assert programs, "no FontFile2/FontFile3 stream"
    for kind, program in programs:
        # Noto Serif SC has 30,000+ glyphs; the page uses a few dozen characters.
        assert _glyph_count(kind, program) < 200
    base_fonts = re.findall(rb"/BaseFont\s*/([^\s/<>\[\]]+)", pdf)
    assert base_fonts and all(re.fullmatch(rb"[A-Z]{6}\+.+", name) for name in base_fonts)
    assert b"/usr/share/fonts" not in pdf and b".ttf" not in pdf.lower() and b".otf" not in pdf
    # Every font descriptor carries its font file: nothing is left to the reader's machine.
    assert pdf.count(b"/Type /FontDescriptor") == len(programs)
    assert len(pdf) < 150_000


def test_render_many_makes_one_page_per_certificate_in_order():
    certificates = [
        dataclasses.replace(
            BASE,
            child_name=name,
            award=award,
            number=f"GS26-000{i}-M9XD",
            verify_url=f"https://example.org/v/GS26-000{i}-M9XD",
        )
        for i, (name, award) in enumerate(
            [("王子涵", "一等奖"), ("李浩宇", "二等奖"), ("陈欣怡", "三等奖"), ("赵梓萱", "优秀奖")]
        )
    ]
    document = _document(render_many(iter(certificates)))
    assert len(document) == len(certificates)
    for page, certificate in zip(document, certificates, strict=True):
        text = _text(page)
        assert certificate.child_name in text and certificate.number in text
        assert certificate.award in text
    assert [code.text for code in _read_qr(document[2])] == [certificates[2].verify_url]


def test_three_hundred_certificates_share_one_font_and_take_seconds():
    certificates = [
        dataclasses.replace(BASE, child_name=f"学生{i:03d}", number=f"GS26-{i:04d}-M9XD")
        for i in range(300)
    ]
    started = time.perf_counter()
    pdf = render_many(certificates)
    elapsed = time.perf_counter() - started
    assert len(_document(pdf)) == 300
    assert len(_font_programs(pdf)) == 1  # one subset for the whole document, not one a page
    assert len(pdf) < 3_000_000
    assert elapsed < 60  # about 3 s here; a font parsed per page would take minutes


TEXT_FIELDS = (
    "child_name",
    "award",
    "contest_title",
    "group_name",
    "entry_title",
    "issuer",
    "number",
)
# Every text field at the longest the module accepts.
LONGEST = dataclasses.replace(
    LONG,
    **{field: (getattr(LONG, field) * 40)[:500] for field in TEXT_FIELDS},
)


@pytest.mark.parametrize("certificate", [LONG, LONGEST], ids=["long", "longest"])
def test_long_texts_shrink_or_wrap_inside_the_frame_and_clear_of_the_qr(certificate):
    page = _document(render(certificate))[0]
    boxes = _char_boxes_mm(page)
    assert boxes
    for char, (left, top, right, bottom) in boxes:
        # Inside the inner frame (14 mm from each edge).
        assert left >= 14 and top >= 14 and right <= 297 - 14 and bottom <= 210 - 14, char
    codes = _read_qr(page)
    assert [code.text for code in codes] == [certificate.verify_url]
    q_left, q_top, q_right, q_bottom = _qr_box_mm(codes[0])
    modules = 17 + 4 * int(codes[0].extra["Version"])
    quiet = 4 * (q_right - q_left) / modules
    for char, (left, top, right, bottom) in boxes:
        clear = (
            right <= q_left - quiet
            or left >= q_right + quiet
            or bottom <= q_top - quiet
            or top >= q_bottom + quiet
        )
        assert clear, f"{char!r} is within the QR's quiet zone"
    text = _text(page)
    assert text.startswith("荣誉证书")
    assert "2026年12月4日" in text and "扫码验证" in text
    # A cut name or sentence keeps its ending.
    assert "同学：" in text and "中荣获" in text
    assert "张彧" not in text and LONG.child_name[:8] in text
    # What no longer fits even at the smallest size is cut, visibly.
    assert ("…" in text) == (certificate is LONGEST)


def test_rare_characters_print_and_one_no_font_has_does_not_fail():
    certificate = dataclasses.replace(BASE, child_name="龘彧堃𠮷", entry_title="𪚥")
    page = _document(render(certificate))[0]
    text = _text(page)
    assert "龘彧堃" in text  # in Noto Serif SC
    pytest.importorskip("noto_cjk_sans_jp_regular")
    assert "龘彧堃𠮷同学：" in text  # 𠮷 from the fallback font
    assert [code.text for code in _read_qr(page)] == [certificate.verify_url]


def test_the_fallback_font_is_embedded_only_when_a_page_needs_it():
    pytest.importorskip("noto_cjk_sans_jp_regular")
    assert len(_font_programs(render(BASE))) == 1
    assert len(_font_programs(render(dataclasses.replace(BASE, child_name="张𠮷")))) == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"child_name": "  "}, "child_name"),
        ({"award": ""}, "award"),
        ({"entry_title": "第一行\n第二行"}, "entry_title"),
        ({"issuer": "科技局\x00"}, "issuer"),
        ({"contest_title": "赛" * 501}, "contest_title"),
        ({"verify_url": "https://example.org/" + "v" * 1000}, "verify_url"),
        ({"issued_on": "2026-12-04"}, "issued_on"),
        ({"number": None}, "number"),
    ],
)
def test_bad_input_is_refused_as_invalid_naming_the_field(change, field):
    with pytest.raises(Invalid) as refused:
        render(dataclasses.replace(BASE, **change))
    assert set(refused.value.fields) == {field}


def test_nothing_to_print_is_invalid():
    with pytest.raises(Invalid):
        render_many([])
    with pytest.raises(Invalid):
        render_many([BASE, "not a certificate"])
