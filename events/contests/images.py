"""A contest photo: checked by decoding it, cleaned, re-encoded in three sizes, hashed.

`process(data)` takes the uploaded bytes of a photo of a child's drawing (taken on a phone) and
returns what is stored: the picture re-encoded from its pixels as JPEG with its orientation
applied and no metadata left (no EXIF, GPS, camera, XMP, comments, text chunks; a colour profile
is converted to sRGB and dropped), a copy for the judges' screen, a thumbnail, and a perceptual
hash that finds the same picture submitted twice. Whatever the upload is, `process` returns or
raises `ImageRejected` / `ImageTooLarge`; nothing else escapes.

It is synchronous and CPU-bound (the caller runs it in a thread; Pillow releases the GIL while
it decodes, resizes and encodes). A phone JPEG is decoded at a reduced scale by libjpeg
(`draft`), so a 12-megapixel photo costs about a quarter of a full decode.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass

import imagehash
import pillow_heif
from PIL import Image, ImageCms, ImageOps

from events.core.errors import DomainError, Invalid
from events.core.i18n import gettext as _

pillow_heif.register_heif_opener()

log = logging.getLogger(__name__)

MAX_BYTES = 20 * 1024 * 1024  # the contract: larger is 413 `too_large`
MIN_SHORT_SIDE = 600  # pixels on the shorter side (the contract)
MAX_PIXELS = 50_000_000  # the contract: at most 50 million pixels

IMAGE_SIDE = 2400  # longest side of the stored copy
SCREEN_SIDE = (
    1280  # the judges' page: at most this, by a whole factor (see _shrink_by_whole_factor)
)
THUMBNAIL_SIDE = 480  # the contract: "a small JPEG of at most 480 px"
# libjpeg can decode at 1/2, 1/4 or 1/8 scale; the largest that keeps the longest side at
# least this long is used (a 4000 x 3000 photo decodes as 2000 x 1500).
DRAFT_MIN_SIDE = 2000

# The perceptual hash: a 256-bit DCT hash (imagehash.phash, hash_size 16) of the thumbnail, as
# 64 hex digits. Two pictures are the same when at most MATCH_BITS of the 256 bits differ.
# Measured through `process` (tests/contests/test_images.py, its generator of drawings): copies
# re-saved at JPEG quality 60, resized to half, converted PNG/JPEG/WebP/HEIC or stored sideways
# with an EXIF orientation differ by 0-4 bits (20 drawings); 200 different drawings in one
# palette and style by at least 76 (19,900 pairs; median 124). On thumbnails alone: 600
# drawings at least 78 apart; +15 % brightness moves a copy by up to 20 bits, a 2 % crop by 32.
HASH_SIZE = 16
MATCH_BITS = 40

# What Pillow calls the accepted formats (a JPEG with a multi-picture index, as many phone
# cameras write, opens as "MPO"), and the name reported for each.
ACCEPTED = ("JPEG", "PNG", "WEBP", "HEIF")
SOURCE_FORMAT = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "WEBP": "WEBP", "HEIF": "HEIF"}

JPEG_OPTIONS = {
    "image": {"quality": 88},
    "screen": {"quality": 85},
    "thumbnail": {"quality": 82},
}
# Pillow's bilinear filter, when shrinking, is a triangle filter as wide as the shrink factor (an
# area average, no aliasing): a little softer than bicubic and, measured here, 40 % cheaper.
FILTER = Image.Resampling.BILINEAR
REDUCING_GAP = 2.0  # shrink by whole factors first (Image.reduce, cheap), then filter
WHITE = (255, 255, 255)
SRGB = ImageCms.createProfile("sRGB")


class ImageRejected(Invalid):
    """Not a photo this contest takes; `detail` says why, in words for the guardian."""

    def __init__(self, detail: str):
        super().__init__(detail, fields={"image": detail})


class ImageTooLarge(DomainError):
    """The file is over MAX_BYTES (the contract's 413)."""

    code = "too_large"


@dataclass(frozen=True)
class Processed:
    image: bytes  # the stored copy: JPEG, orientation applied, no metadata, longest side <= 2400
    screen: bytes  # JPEG, longest side <= 1280 (the judges' page)
    thumbnail: bytes  # JPEG, longest side <= 480
    width: int  # of `image`
    height: int
    source_format: str  # "JPEG", "PNG", "WEBP" or "HEIF"
    phash: str  # perceptual hash, 64 hex digits (see `same_picture`)


def process(data: bytes) -> Processed:
    """The stored copies of an uploaded photo, or ImageRejected / ImageTooLarge."""
    if len(data) > MAX_BYTES:
        raise ImageTooLarge(_("照片不能超过 20 MB"))  # MAX_BYTES
    try:
        return _process(data)
    except ImageRejected:
        raise
    except MemoryError:
        log.warning("contest photo refused: out of memory while processing %d bytes", len(data))
        raise ImageRejected(_("这张照片无法处理，请换一张较小的照片")) from None
    except Exception as error:  # any decoder's error: a broken or hostile file
        log.info("contest photo refused: %s: %s", type(error).__name__, error)
        raise ImageRejected(_("照片无法读取，文件可能已损坏，请重新拍照上传")) from None


def same_picture(hash_a: str, hash_b: str) -> bool:
    """Whether two perceptual hashes (from `process`) are of the same picture."""
    distance = _distance(hash_a, hash_b)
    return distance is not None and distance <= MATCH_BITS


def find_duplicate(phash: str, earlier: Iterable[tuple[int, str]]) -> int | None:
    """The id of the first of `earlier` (id, phash) pairs that is the same picture, else None."""
    for entry_id, other in earlier:
        if same_picture(phash, other):
            return entry_id
    return None


def _distance(hash_a: str, hash_b: str) -> int | None:
    """Bits that differ, or None when either is not a hash of ours (e.g. empty)."""
    if not hash_a or len(hash_a) != len(hash_b):
        return None
    try:
        return (int(hash_a, 16) ^ int(hash_b, 16)).bit_count()
    except ValueError:
        return None


def _wrong_format() -> ImageRejected:
    return ImageRejected(_("请上传 JPG、PNG、WebP 或 HEIC 格式的照片"))


def _too_many_pixels() -> ImageRejected:
    return ImageRejected(
        _("照片像素过多，最多 {n} 万像素，请换一张较小的照片").format(n=MAX_PIXELS // 10_000)
    )


def _process(data: bytes) -> Processed:
    try:
        # Only the header is read here; `formats` keeps every other decoder out.
        opened = Image.open(io.BytesIO(data), formats=ACCEPTED)
    except Image.UnidentifiedImageError:
        raise _wrong_format() from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own limit (MAX_IMAGE_PIXELS) is far above ours; over twice it Pillow raises,
        # and its warning, where warnings are errors, is raised too.
        raise _too_many_pixels() from None
    with opened:
        source_format = SOURCE_FORMAT.get(opened.format or "")
        if source_format is None:
            raise _wrong_format()
        width, height = opened.size
        if width * height > MAX_PIXELS:  # refused before a pixel is decoded
            raise _too_many_pixels()
        if min(width, height) < MIN_SHORT_SIDE:
            raise ImageRejected(
                _("照片太小：较短的一边至少需要 {n} 像素（这张是 {size} 像素）").format(
                    n=MIN_SHORT_SIDE, size=min(width, height)
                )
            )
        if source_format == "JPEG":
            _draft(opened)
        opened.load()  # decodes: a truncated or corrupt file fails here
        icc = opened.info.get("icc_profile")
        picture = _oriented(opened)
    picture = _fit(_flattened(picture), IMAGE_SIDE)
    picture = _srgb(picture, icc)
    screen = _shrink_by_whole_factor(picture, SCREEN_SIDE)
    thumbnail = _fit(screen, THUMBNAIL_SIDE)
    return Processed(
        image=_jpeg(picture, "image"),
        screen=_jpeg(screen, "screen"),
        thumbnail=_jpeg(thumbnail, "thumbnail"),
        width=picture.width,
        height=picture.height,
        source_format=source_format,
        phash=str(imagehash.phash(thumbnail, hash_size=HASH_SIZE)),
    )


def _draft(image: Image.Image) -> None:
    """Let libjpeg decode at 1/2, 1/4 or 1/8 scale when the picture stays large enough."""
    longest = max(image.size)
    for scale in (8, 4, 2):
        if longest // scale >= DRAFT_MIN_SIDE:
            image.draft("RGB", (image.width // scale, image.height // scale))
            return


def _oriented(image: Image.Image) -> Image.Image:
    """The picture turned the way the camera's EXIF orientation says."""
    try:
        return ImageOps.exif_transpose(image)
    except MemoryError:
        raise
    except Exception:  # an unreadable EXIF block: the pixels are fine, keep them as they are
        log.info("contest photo: EXIF orientation unreadable, kept as decoded")
        return image.copy()


def _flattened(image: Image.Image) -> Image.Image:
    """RGB (or CMYK, converted with its profile later), transparency laid on white paper."""
    if image.mode in ("RGB", "CMYK"):
        return image
    if image.mode in ("I", "I;16", "I;16L", "I;16B", "I;16N", "F"):  # 16-bit grey PNG
        scale = 1 / 256 if image.mode != "F" else 255
        return image.convert("I").point(lambda value: value * scale).convert("L").convert("RGB")
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        paper = Image.new("RGB", rgba.size, WHITE)
        paper.paste(rgba, mask=rgba.getchannel("A"))
        return paper
    return image.convert("RGB")


def _fit(image: Image.Image, side: int) -> Image.Image:
    """The picture shrunk (never enlarged) so that its longest side is at most `side`."""
    width, height = image.size
    if max(width, height) <= side:
        return image
    ratio = side / max(width, height)
    size = (max(1, round(width * ratio)), max(1, round(height * ratio)))
    return image.resize(size, FILTER, reducing_gap=REDUCING_GAP)


def _shrink_by_whole_factor(image: Image.Image, side: int) -> Image.Image:
    """The picture shrunk by the smallest whole factor that brings its longest side to at most
    `side` (a box filter over n × n pixels: `Image.reduce`, a few ms where a filtered resize of a
    2000 px picture takes ~20). A 2000 × 1500 picture gives 1000 × 750 for the judges' screen;
    the stored copy is there for zooming in."""
    longest = max(image.size)
    if longest <= side:
        return image
    factor = -(-longest // side)  # ceil
    return image.reduce(factor)


def _srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """RGB in sRGB: a photo's colour profile (an iPhone's Display P3, say) converted, then gone."""
    if icc and image.mode in ("RGB", "CMYK"):
        try:
            profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            if image.mode == "CMYK" or "srgb" not in _description(profile):
                converted = ImageCms.profileToProfile(image, profile, SRGB, outputMode="RGB")
                if converted is not None:
                    return converted
        except MemoryError:
            raise
        except Exception:  # a profile littleCMS cannot use: the pixels are taken as they are
            log.info("contest photo: colour profile unusable, dropped")
    return image if image.mode == "RGB" else image.convert("RGB")


def _description(profile: ImageCms.ImageCmsProfile) -> str:
    return (ImageCms.getProfileDescription(profile) or "").lower()


def _jpeg(image: Image.Image, kind: str) -> bytes:
    """JPEG from the pixels alone: `info` (EXIF, XMP, ICC, comment, text) is not carried over."""
    image.info.clear()  # Pillow's JPEG writer would carry over a comment from `info`
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", **JPEG_OPTIONS[kind])
    return buffer.getvalue()
