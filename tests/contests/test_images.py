"""A contest photo: judged by decoding it, stored clean (no metadata), turned upright, hashed."""

from __future__ import annotations

import io
import itertools
import random
import struct
import warnings
import zlib

import pytest
from PIL import Image, ImageCms, ImageOps, PngImagePlugin

from events.contests import images
from events.contests.images import ImageRejected, ImageTooLarge, Processed, process
from events.core.errors import DomainError, Invalid
from tests.contests.drawings import drawing

RED, WHITE = (255, 0, 0), (255, 255, 255)
SRGB_ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-'
    b'syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude='
    b'"31,14.375N"/></rdf:RDF></x:xmpmeta>'
)


def encode(image: Image.Image, fmt: str = "JPEG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def phone_exif(orientation: int = 1) -> Image.Exif:
    """What a phone writes: orientation, camera make and model, the place (GPS)."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "Apple"
    exif[0x0110] = "iPhone 13 mini"
    exif[0x0131] = "17.4.1"  # Software
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (31.0, 14.0, 22.5), 3: "E", 4: (121.0, 28.0, 40.1)})
    return exif


def decoded(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return image


def jpeg_segments(data: bytes) -> list[int]:
    """The markers of a JPEG's segments up to the image data (SOS)."""
    assert data[:2] == b"\xff\xd8"
    markers, at = [], 2
    while at < len(data):
        assert data[at] == 0xFF
        marker = data[at + 1]
        markers.append(marker)
        if marker == 0xDA:  # start of scan: the entropy-coded data follows
            return markers
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        at += 2 + length
    raise AssertionError("no image data")


def assert_bare(data: bytes) -> None:
    """A JPEG with no metadata of any kind: only JFIF and the segments a decoder needs."""
    segments = jpeg_segments(data)
    allowed = {0xE0, 0xDB, 0xC0, 0xC4, 0xDD, 0xDA}  # JFIF, tables, frame, restart, scan
    assert set(segments) <= allowed, [hex(marker) for marker in segments]
    image = decoded(data)
    assert image.format == "JPEG" and image.mode == "RGB"
    assert len(image.getexif()) == 0
    assert not {"exif", "xmp", "icc_profile", "comment", "photoshop", "mp"} & set(image.info)
    assert set(image.info) <= {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi"}
    for text in (b"Exif", b"Apple", b"iPhone", b"GPS", b"xmpmeta", b"ICC_PROFILE", b"secret"):
        assert text not in data, text


def fits(data: bytes, side: int) -> tuple[int, int]:
    image = decoded(data)
    assert image.format == "JPEG"
    assert max(image.size) <= side
    return image.size


# The stored copies ---------------------------------------------------------------------------


def test_a_phone_photo_loses_its_place_camera_and_every_other_metadata_block():
    upload = encode(
        drawing(1),
        exif=phone_exif(),
        xmp=XMP,
        icc_profile=SRGB_ICC,
        comment=b"secret comment",
        quality=92,
    )
    sent = decoded(upload)  # the upload does carry all of it
    assert sent.getexif()[0x010F] == "Apple" and sent.getexif().get_ifd(0x8825)[1] == "N"
    assert {"exif", "xmp", "icc_profile", "comment"} <= set(sent.info)

    result = process(upload)
    for copy in (result.image, result.screen, result.thumbnail):
        assert_bare(copy)
    assert result.source_format == "JPEG"


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "HEIF"])
def test_metadata_is_removed_from_every_accepted_format(fmt):
    picture = drawing(2, (1000, 750))
    options = {"exif": phone_exif(), "xmp": XMP}
    if fmt == "PNG":
        text = PngImagePlugin.PngInfo()
        text.add_text("Author", "secret author")
        text.add_text("Comment", "secret " * 50, zip=True)  # zTXt
        text.add_itxt("Description", "秘密 secret", zip=True)
        options = {"exif": phone_exif(), "pnginfo": text, "icc_profile": SRGB_ICC}
    elif fmt == "WEBP":
        options["icc_profile"] = SRGB_ICC
    upload = encode(picture, fmt, **options)
    assert decoded(upload).getexif().get(0x010F) == "Apple"

    result = process(upload)
    assert result.source_format == fmt
    for copy in (result.image, result.screen, result.thumbnail):
        assert_bare(copy)


def corner_marker(size=(1200, 800)) -> Image.Image:
    """White, with a red square in the stored picture's top-left corner."""
    image = Image.new("RGB", size, WHITE)
    image.paste(RED, (0, 0, 120, 120))
    return image


def where_is_red(data: bytes) -> str:
    image = decoded(data)
    w, h = image.size
    corners = {
        "top-left": (10, 10),
        "top-right": (w - 11, 10),
        "bottom-left": (10, h - 11),
        "bottom-right": (w - 11, h - 11),
    }
    red = [name for name, xy in corners.items() if _is_red(image.getpixel(xy))]
    assert len(red) == 1, red
    return red[0]


def _is_red(pixel) -> bool:
    r, g, b = pixel
    return r > 200 and g < 60 and b < 60


@pytest.mark.parametrize(
    ("orientation", "corner", "size"),
    [
        (1, "top-left", (1200, 800)),
        (3, "bottom-right", (1200, 800)),  # upside down
        (6, "top-right", (800, 1200)),  # turned 90 degrees clockwise to be shown
        (8, "bottom-left", (800, 1200)),  # turned 90 degrees anticlockwise
        (2, "top-right", (1200, 800)),  # mirrored
    ],
)
def test_the_exif_orientation_is_applied_to_the_pixels(orientation, corner, size):
    upload = encode(corner_marker(), exif=phone_exif(orientation), quality=92)
    result = process(upload)
    assert (result.width, result.height) == size
    for copy in (result.image, result.screen, result.thumbnail):
        assert where_is_red(copy) == corner
        assert len(decoded(copy).getexif()) == 0  # not turned a second time by a viewer


def test_a_heic_photo_from_an_iphone_is_accepted():
    upload = encode(corner_marker((1400, 1000)), "HEIF", exif=phone_exif(), quality=90)
    assert decoded(upload).format == "HEIF"
    result = process(upload)
    assert result.source_format == "HEIF"
    assert (result.width, result.height) == (1400, 1000)
    assert where_is_red(result.image) == "top-left"
    assert_bare(result.image)


def test_the_three_copies_fit_their_sizes():
    # A 4000 x 3000 phone JPEG is decoded at half scale by libjpeg: 2000 x 1500.
    big = process(encode(drawing(3, (4000, 3000)), quality=90))
    assert (big.width, big.height) == (2000, 1500) == fits(big.image, images.IMAGE_SIDE)
    # The screen copy: shrunk by a whole factor (cheap), to at most 1280 px.
    assert fits(big.screen, 1280) == (1000, 750)
    assert fits(big.thumbnail, 480) == (480, 360)

    # Formats decoded whole are shrunk to the stored copy's 2400 px.
    png = process(encode(drawing(4, (3000, 2000)), "PNG", compress_level=1))
    assert (png.width, png.height) == (2400, 1600) == fits(png.image, 2400)
    assert fits(png.screen, 1280) == (1200, 800)
    assert fits(png.thumbnail, 480) == (480, 320)

    # A small photo is not enlarged.
    small = process(encode(drawing(5, (800, 600))))
    assert (small.width, small.height) == (800, 600)
    assert fits(small.screen, 1280) == (800, 600)
    assert fits(small.thumbnail, 480) == (480, 360)
    assert isinstance(small, Processed)


def test_transparency_is_laid_on_white_paper():
    picture = Image.new("RGBA", (800, 700), (0, 0, 0, 0))  # transparent black
    picture.paste((0, 0, 255, 255), (300, 300, 500, 500))
    result = process(encode(picture, "PNG"))
    stored = decoded(result.image)
    assert all(value > 245 for value in stored.getpixel((20, 20)))
    r, g, b = stored.getpixel((400, 400))
    assert b > 200 and r < 40 and g < 40


@pytest.mark.parametrize(
    ("mode", "fmt", "value", "expected"),
    [
        ("L", "JPEG", 128, (128, 128, 128)),
        ("CMYK", "JPEG", (0, 255, 255, 0), (255, 0, 0)),  # CMYK red
        ("I;16", "PNG", 65535, (255, 255, 255)),  # a 16-bit grey scan
        ("P", "PNG", 1, (255, 0, 0)),
    ],
)
def test_other_colour_modes_come_out_as_rgb(mode, fmt, value, expected):
    picture = Image.new(mode, (700, 650), value)
    if mode == "P":
        picture.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    stored = decoded(process(encode(picture, fmt)).image)
    assert stored.mode == "RGB"
    assert all(abs(a - b) <= 6 for a, b in zip(stored.getpixel((300, 300)), expected, strict=True))


def swapped_primaries_profile() -> bytes:
    """An RGB ICC profile (v2) whose red and green primaries are sRGB's green and red."""

    def s15(value: float) -> bytes:
        return struct.pack(">i", round(value * 65536))

    def xyz(x, y, z) -> bytes:
        return b"XYZ " + bytes(4) + s15(x) + s15(y) + s15(z)

    text = b"swapped primaries\x00"
    desc = b"desc" + bytes(4) + struct.pack(">I", len(text)) + text + bytes(4 + 4 + 2 + 1 + 67)
    gamma = b"curv" + bytes(4) + struct.pack(">IH", 1, 0x0233) + bytes(2)  # gamma 2.2
    tags = [
        (b"desc", desc),
        (b"wtpt", xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", xyz(0.3851, 0.7169, 0.0971)),  # sRGB's green
        (b"gXYZ", xyz(0.4361, 0.2225, 0.0139)),  # sRGB's red
        (b"bXYZ", xyz(0.1431, 0.0606, 0.7141)),
        (b"rTRC", gamma),
        (b"gTRC", gamma),
        (b"bTRC", gamma),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for signature, data in tags:
        data += bytes(-len(data) % 4)
        table += signature + struct.pack(">II", offset + len(body), len(data))
        body += data
    size = offset + len(body)
    header = (
        struct.pack(">I", size)
        + bytes(4)
        + b"\x02\x10\x00\x00mntrRGB XYZ "
        + bytes(12)
        + b"acsp"
        + bytes(24)
        + bytes(4)
        + s15(0.9642)
        + s15(1.0)
        + s15(0.8249)
        + bytes(48)
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + body


def test_a_colour_profile_is_converted_to_srgb_and_then_dropped():
    picture = Image.new("RGB", (800, 600), (255, 0, 0))  # "red" in the swapped profile: green
    result = process(encode(picture, icc_profile=swapped_primaries_profile(), quality=95))
    r, g, b = decoded(result.image).getpixel((400, 300))
    assert g > 200 and r < 60 and b < 60, (r, g, b)
    assert_bare(result.image)
    # An sRGB profile changes nothing.
    r, g, b = decoded(process(encode(picture, icc_profile=SRGB_ICC)).image).getpixel((400, 300))
    assert r > 240 and g < 20 and b < 20


# What is refused ------------------------------------------------------------------------------


def png_header_only(width: int, height: int, idat: bytes = b"not image data") -> bytes:
    """A PNG declaring a size, with the given (here: not decodable) image data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit grey
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def decompression_bomb() -> bytes:
    """A real PNG of 20000 x 20000 white pixels (50 MB of rows) that is ~50 KB on disk."""
    row = b"\x00" + bytes(20000 // 8)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(20000)) + packer.flush()
    return png_header_only(20000, 20000, idat)


def oversized_text_chunk(itxt: bool) -> bytes:
    """A PNG whose compressed text chunk inflates past Pillow's limit (its own small bomb)."""
    text = PngImagePlugin.PngInfo()
    if itxt:
        text.add_itxt("Comment", "a" * (2 * 1024 * 1024), zip=True)
    else:
        text.add_text("Comment", "a" * (2 * 1024 * 1024), zip=True)
    data = encode(drawing(6, (800, 600)), "PNG", pnginfo=text)
    assert len(data) < 1024 * 1024
    return data


def truncated_jpeg() -> bytes:
    data = encode(drawing(7, (1000, 750)), quality=90)
    return data[: len(data) // 2]


SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="2000" height="2000">'
    b'<rect width="2000" height="2000" fill="red"/></svg>'
)

WRONG_FORMAT = "请上传 JPG、PNG、WebP 或 HEIC 格式的照片"
UNREADABLE = "照片无法读取"
TOO_MANY = "最多 5000 万像素"


@pytest.mark.parametrize(
    ("upload", "says"),
    [
        pytest.param(lambda: b"this is a text file named drawing.jpg\n", WRONG_FORMAT, id="text"),
        pytest.param(lambda: b"", WRONG_FORMAT, id="empty"),
        pytest.param(lambda: SVG, WRONG_FORMAT, id="svg"),
        pytest.param(lambda: encode(drawing(8, (800, 600)), "GIF"), WRONG_FORMAT, id="gif"),
        pytest.param(lambda: encode(drawing(8, (800, 600)), "BMP"), WRONG_FORMAT, id="bmp"),
        pytest.param(lambda: encode(drawing(8, (800, 600)), "TIFF"), WRONG_FORMAT, id="tiff"),
        pytest.param(lambda: encode(drawing(8, (800, 600)), "AVIF"), WRONG_FORMAT, id="avif"),
        pytest.param(lambda: encode(drawing(8, (800, 600)), "PDF"), WRONG_FORMAT, id="pdf"),
        pytest.param(lambda: encode(drawing(9, (400, 300))), "至少需要 600 像素", id="300px"),
        pytest.param(lambda: encode(drawing(9, (900, 599))), "这张是 599 像素", id="599px"),
        pytest.param(decompression_bomb, TOO_MANY, id="bomb-20000x20000"),
        # Over 50 million pixels but under Pillow's own limits: refused by the header alone
        # (the image data is not decodable, so a decode would have said "无法读取").
        pytest.param(lambda: png_header_only(8000, 7000), TOO_MANY, id="56-megapixels"),
        pytest.param(lambda: png_header_only(10000, 5001), TOO_MANY, id="50000001-pixels"),
        # Pillow's warning band (over 89 million pixels, under 179 million).
        pytest.param(lambda: png_header_only(10000, 10000), TOO_MANY, id="100-megapixels"),
        pytest.param(truncated_jpeg, UNREADABLE, id="truncated-jpeg"),
        pytest.param(lambda: oversized_text_chunk(itxt=False), UNREADABLE, id="png-ztxt-bomb"),
        pytest.param(lambda: oversized_text_chunk(itxt=True), UNREADABLE, id="png-itxt-bomb"),
        pytest.param(
            lambda: png_header_only(10000, 5000), UNREADABLE, id="50-megapixels-undecodable"
        ),
    ],
)
@pytest.mark.parametrize("warnings_are", ["shown", "errors"])
def test_a_bad_upload_is_refused_saying_why(upload, says, warnings_are):
    data = upload()
    with warnings.catch_warnings(record=True):
        # Pillow's DecompressionBombWarning shown (here: recorded), or raised
        warnings.simplefilter("error" if warnings_are == "errors" else "always")
        with pytest.raises(ImageRejected) as refused:
            process(data)
    assert says in refused.value.detail
    assert refused.value.code == "invalid" and isinstance(refused.value, Invalid)
    assert refused.value.fields == {"image": refused.value.detail}


def test_a_file_over_20_mib_is_too_large_and_one_of_exactly_20_mib_is_not():
    photo = encode(drawing(10, (800, 600)))
    exactly = photo + bytes(images.MAX_BYTES - len(photo))  # bytes after the end are ignored
    assert len(exactly) == 20 * 1024 * 1024
    assert process(exactly).width == 800
    with pytest.raises(ImageTooLarge) as refused:
        process(exactly + b"\x00")
    assert refused.value.code == "too_large" and isinstance(refused.value, DomainError)
    assert not isinstance(refused.value, Invalid)
    assert "20 MB" in refused.value.detail
    with pytest.raises(ImageTooLarge):
        process(bytes(21 * 1024 * 1024))


def test_the_smallest_accepted_photo_is_600_pixels_on_its_shorter_side():
    assert process(encode(drawing(11, (600, 1400)))).width == 600


def test_out_of_memory_is_a_refusal_too(monkeypatch):
    def exhausted(image):
        raise MemoryError

    monkeypatch.setattr(images, "_flattened", exhausted)
    with pytest.raises(ImageRejected, match="无法处理"):
        process(encode(drawing(12, (800, 600))))


def test_any_other_error_inside_a_decoder_is_a_refusal(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a decoder bug")

    monkeypatch.setattr(images.Image, "open", broken)
    with pytest.raises(ImageRejected, match=UNREADABLE):
        process(encode(drawing(12, (800, 600))))


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "HEIF"])
def test_damaged_files_are_either_processed_or_refused(fmt):
    """Random bytes changed and files cut short: nothing but ImageRejected ever comes out."""
    original = encode(drawing(13, (700, 620)), fmt)
    rng = random.Random(fmt)
    outcomes = set()
    for attempt in range(40):
        data = bytearray(original)
        if attempt % 4 == 3:
            data = data[: rng.randrange(1, len(data))]
        else:
            for _ in range(rng.randint(1, 12)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        try:
            outcomes.add(type(process(bytes(data))).__name__)
        except ImageRejected:
            outcomes.add("ImageRejected")
    assert outcomes <= {"Processed", "ImageRejected"}
    assert "ImageRejected" in outcomes


# The same picture twice -----------------------------------------------------------------------


def copies(picture: Image.Image) -> dict[str, bytes]:
    """The ways one drawing reaches the contest a second time."""
    w, h = picture.size
    half = picture.resize((w // 2, h // 2), Image.Resampling.LANCZOS)
    sideways = picture.transpose(Image.Transpose.ROTATE_90)  # the sensor's view
    return {
        "jpeg-quality-60": encode(picture, quality=60),
        "resized-to-half": encode(half, quality=85),
        "png": encode(picture, "PNG"),
        "png-of-a-jpeg": encode(decoded(encode(picture, quality=75)), "PNG"),
        "exif-rotated": encode(sideways, exif=phone_exif(6), quality=90),
        "webp": encode(picture, "WEBP", quality=70),
        "heic": encode(picture, "HEIF", quality=60),
    }


@pytest.mark.parametrize("seed", [21, 22, 23])
def test_a_resaved_resized_or_converted_copy_is_the_same_picture(seed):
    picture = drawing(seed)
    first = process(encode(picture, quality=92))
    assert len(first.phash) == 64
    for name, data in copies(picture).items():
        again = process(data)
        assert images.same_picture(first.phash, again.phash), name
        assert images._distance(first.phash, again.phash) <= 12, name  # far under MATCH_BITS
        assert images.find_duplicate(again.phash, [(7, "0" * 64), (42, first.phash)]) == 42


def test_two_hundred_different_drawings_never_match_one_another():
    hashes = [process(encode(drawing(seed, (1200, 900)), quality=88)).phash for seed in range(200)]
    distances = [images._distance(a, b) for a, b in itertools.combinations(hashes, 2)]
    assert len(distances) == 19_900
    closest = min(distances)
    assert closest > images.MATCH_BITS, closest
    assert closest >= 2 * images.MATCH_BITS - 10, closest  # a margin, not a near miss
    assert not any(images.same_picture(a, b) for a, b in itertools.combinations(hashes, 2))
    assert images.find_duplicate(hashes[0], list(enumerate(hashes[1:], 1))) is None


def test_the_generator_draws_the_same_picture_for_a_seed_and_another_for_another():
    assert drawing(5).tobytes() == drawing(5).tobytes()
    assert drawing(5).tobytes() != drawing(6).tobytes()
    assert drawing(5, (800, 600)).size == (800, 600)


def test_hashes_that_are_not_ours_match_nothing():
    real = process(encode(drawing(30))).phash
    for other in ("", "zz" * 32, real[:16], real + "0"):
        assert not images.same_picture(real, other)
        assert not images.same_picture(other, real)
    assert images.same_picture(real, real)
    assert images.find_duplicate(real, []) is None
    assert images.find_duplicate(real, [(3, ""), (4, real), (5, real)]) == 4


def test_the_hash_is_taken_after_the_orientation():
    picture = drawing(31)
    upright = process(encode(picture))
    sideways = picture.transpose(Image.Transpose.ROTATE_90)
    # Stored sideways without an orientation tag it is a different picture (as shown)...
    assert not images.same_picture(upright.phash, process(encode(sideways)).phash)
    # ...with the tag that turns it upright, the same one.
    tagged = process(encode(sideways, exif=phone_exif(6)))
    assert images.same_picture(upright.phash, tagged.phash)
    assert ImageOps.exif_transpose(decoded(encode(sideways, exif=phone_exif(6)))).size == (
        1600,
        1200,
    )
