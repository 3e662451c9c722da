"""The checks an input image passes wherever it is read from: fetched over HTTP, read back
from this server's own files, or sent as a file in an Ideogram form. Its type from the magic
bytes, its size in bytes and in pixels, and a full decode. Every refusal is an
``InputRejected`` naming the field; the API turns it into its own 422."""

from __future__ import annotations

import io

from PIL import Image

from imagegate.errors import InputRejected

__all__ = [
    "DEFAULT_TYPES", "SNIFF_BYTES", "check_bytes", "check_type", "decode", "describe",
    "gif_as_png", "human_size", "pixel_size", "type_names",
]

SNIFF_BYTES = 12  # enough for every signature below (WebP needs 12)
# What an input field takes unless its model says otherwise (ImageUrlField.accepted_types).
DEFAULT_TYPES = ("image/jpeg", "image/png", "image/webp")
_TYPE_NAMES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WebP", "image/gif": "GIF"}


def _sniff(data: bytes | bytearray) -> tuple[str, str] | None:
    """(MIME type, Pillow format) read from the magic bytes, or None for anything else."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg", "JPEG"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png", "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", "WEBP"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif", "GIF"
    return None


_OTHER_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"BM", "a BMP image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"\x00\x00\x01\x00", "an ICO image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "gzip data"),
)


def describe(data: bytes | bytearray) -> str:
    """A short name for what a refused body looks like, for the error message."""
    if not data:
        return "an empty body"
    for prefix, name in _OTHER_SIGNATURES:
        if data.startswith(prefix):
            return name
    if data[4:8] == b"ftyp":
        return "an AVIF/HEIF image or video"
    head = bytes(data[:256]).lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        return "an HTML page"
    if head.startswith((b"<?xml", b"<svg")):
        return "XML or SVG"
    try:
        bytes(data[:256]).decode("utf-8")
    except UnicodeDecodeError:
        return "unrecognised binary data"
    return "text"


def human_size(n: int) -> str:
    """``n`` bytes as a person reads them: "15 MB", "4.5 KB", "12 bytes" (powers of 1024)."""
    for unit, size in (("MB", 1024 * 1024), ("KB", 1024)):
        if n >= size:
            return f"{n / size:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} bytes"


def type_names(accepted: tuple[str, ...]) -> str:
    """"JPEG, PNG or WebP": the accepted types as the messages name them."""
    names = [_TYPE_NAMES.get(mime, mime) for mime in accepted]
    return ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]


def check_bytes(size: int, limit: int, field: str) -> None:
    """Refuse an image of ``size`` bytes over ``limit``, naming both."""
    if size > limit:
        raise InputRejected(
            f"{field}: image is {human_size(size)}, larger than the limit of {human_size(limit)}"
        )


def check_type(data: bytes | bytearray, accepted: tuple[str, ...], field: str) -> tuple[str, str]:
    """(MIME type, Pillow format) of an image of one of the ``accepted`` types, from its first
    bytes; InputRejected naming what it looks like otherwise."""
    kind = _sniff(data)
    if kind is None or kind[0] not in accepted:
        raise InputRejected(
            f"{field}: not a {type_names(accepted)} image (found {describe(data)})"
        )
    return kind


def pixel_size(data: bytes, fmt: str, max_pixels: int, field: str) -> tuple[int, int]:
    """Width and height from the header alone, refused over ``max_pixels``: cheap (nothing is
    decoded), so a small file that would expand to gigabytes is refused before any decode."""
    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as img:
            width, height = img.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow's own global limit fired first (only when it is below ours, or set strict).
        raise InputRejected(
            f"{field}: image has more than the limit of {max_pixels} pixels"
        ) from exc
    except Exception as exc:  # Pillow raises many types on hostile input; all mean unusable
        raise InputRejected(f"{field}: image is corrupt or truncated ({exc})") from exc
    if width * height > max_pixels:
        raise InputRejected(
            f"{field}: image is {width}x{height} pixels, more than the limit of {max_pixels} pixels"
        )
    return width, height


def decode(data: bytes, fmt: str, max_pixels: int, field: str) -> tuple[int, int]:
    """Width and height of a checked image, after a full decode; CPU-bound, so callers on the
    event loop run it in a thread.

    The pixel count is checked from the header first (``pixel_size``). The full decode then
    refuses corrupt and truncated files (``verify()`` alone skips JPEG data and PNG's zlib
    stream).
    """
    width, height = pixel_size(data, fmt, max_pixels, field)
    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as img:
            img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise InputRejected(
            f"{field}: image has more than the limit of {max_pixels} pixels"
        ) from exc
    except Exception as exc:  # as above: any failure to decode means the file is unusable
        raise InputRejected(f"{field}: image is corrupt or truncated ({exc})") from exc
    return width, height


def gif_as_png(data: bytes) -> bytes:
    """A GIF's first frame as PNG: models that take GIF references read one still image, and
    the engines (and the stored inputs) then only ever see JPEG, PNG or WebP."""
    with Image.open(io.BytesIO(data), formats=["GIF"]) as img:
        img.seek(0)
        frame = img.convert("RGBA" if "transparency" in img.info else "RGB")
    out = io.BytesIO()
    frame.save(out, format="PNG")
    return out.getvalue()
