"""Bytes to arrays and back for the classic engine: decoding inputs lean, encoding outputs.

Inputs may be 10 MB files of up to 40 megapixels, while the canvas is at most about 1.5
megapixels: decoding shrinks the image as early as the format allows (JPEG's DCT scaling while
decoding, then Pillow's box reduction), so an engine process never holds the full-size pixels
more than once, and never as a NumPy array.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Final

import numpy as np
from PIL import ExifTags, Image, ImageOps, PngImagePlugin

from imagegate.engines.classic.geometry import place
from imagegate.errors import InputRejected

# zlib level of the PNG outputs. Measured on 1 MP reframes of skimage's photographs: level 4
# takes 100-115 ms per image and is within 1-2 % of level 6's size, which takes 190-290 ms
# (Pillow's default); levels 7-9 buy under 1 % more for 2-6 times the time.
PNG_COMPRESS_LEVEL: Final = 4
JPEG_QUALITY: Final = 92
WEBP_QUALITY: Final = 90

# The types the API accepts (the worker's fetch checks them by their magic bytes too).
_FORMATS: Final = ("JPEG", "PNG", "WEBP")
# Modes Image.reduce() cannot average (a palette's indices, 1-bit, 16-bit): converted first.
_CONVERT_BEFORE_REDUCING: Final = frozenset({"P", "PA", "1", "I;16", "I;16B", "I;16L", "I;16N"})
_ALPHA_MODES: Final = frozenset({"RGBA", "RGBa", "LA", "La", "PA"})
# EXIF orientations that turn the image a quarter: its stored width is its shown height.
_QUARTER_TURNS: Final = frozenset({5, 6, 7, 8})


def decode(data: bytes, canvas: tuple[int, int], *, field: str = "image") -> np.ndarray:
    """The image in ``data`` as H x W x C uint8 (C = 1, 3 or 4), upright, at least as large as
    it will be drawn on a ``canvas`` = (width, height), and not much larger.

    Colour becomes RGB (CMYK, YCbCr too); transparency of any kind becomes RGBA; grayscale
    (8-bit, 16-bit, 32-bit, float, 1-bit) stays one channel. Raises ``InputRejected`` naming
    ``field`` when the bytes are not an image Pillow can decode.
    """
    try:
        with Image.open(io.BytesIO(data), formats=_FORMATS) as opened:
            image = _shrunk(opened, canvas)
            ImageOps.exif_transpose(image, in_place=True)
            return _to_array(image)
    except MemoryError:
        raise
    except Exception as exc:  # Pillow raises many types on hostile or broken input
        raise InputRejected(f"{field}: the image could not be decoded ({exc})") from exc


def _shrunk(image: Image.Image, canvas: tuple[int, int]) -> Image.Image:
    """``image`` decoded, in a working mode, reduced to at most twice the size it is drawn at."""
    width, height = canvas
    if image.getexif().get(ExifTags.Base.Orientation, 1) in _QUARTER_TURNS:
        # Sizes below are in the stored orientation; the canvas turns with the image.
        width, height = height, width
    if image.format == "JPEG":
        fit = place(image.width, image.height, width, height)
        # Decodes at 1/2, 1/4 or 1/8 scale, never below the requested size: a 40 MP JPEG
        # never exists at full size in memory.
        image.draft("RGB", (fit.inner_width, fit.inner_height))
    image.load()
    mode = _working_mode(image)
    # A palette's indices or a transparent colour key cannot be averaged: convert first.
    convert_first = image.mode in _CONVERT_BEFORE_REDUCING or "transparency" in image.info
    if convert_first:
        image = image.convert(mode)
    fit = place(image.width, image.height, width, height)
    factor = min(image.width // fit.inner_width, image.height // fit.inner_height)
    if factor >= 2:
        # Box-averaging by an integer factor keeps at least the drawn size; the engine's own
        # area filter then takes it the rest of the way.
        image = image.reduce(factor)
    if not convert_first:
        image = image.convert(mode)
    return image


def _working_mode(image: Image.Image) -> str:
    """The mode an image is worked in: RGBA, RGB, L, or I and F for gray beyond 8 bits."""
    if image.mode.startswith("I") or image.mode == "F":
        # Scaled down to 8 bits after reducing (``_to_array``), not clipped as Pillow's "L"
        # would. A transparent colour key on 16-bit gray (rare) is dropped: Pillow cannot
        # convert it to RGBA.
        return "I" if image.mode.startswith("I") else "F"
    if image.mode in _ALPHA_MODES or "transparency" in image.info:
        return "RGBA"
    if image.mode in ("L", "1"):
        return "L"
    return "RGB"


def _to_array(image: Image.Image) -> np.ndarray:
    if image.mode == "I":
        # 16-bit gray (what PNG's 16-bit grayscale opens as), mapped 0-65535 onto 0-255.
        wide = np.clip(np.asarray(image, dtype=np.int64), 0, 65535)
        return np.expand_dims(((wide * 255 + 32767) // 65535).astype(np.uint8), 2)
    if image.mode == "F":
        # Float gray follows Pillow's convention: 0-255.
        return np.expand_dims(np.clip(np.rint(np.asarray(image)), 0, 255).astype(np.uint8), 2)
    array = np.asarray(image, dtype=np.uint8)
    return np.expand_dims(array, 2) if array.ndim == 2 else array


def encode(canvas: np.ndarray, fmt: str, text: Mapping[str, str]) -> bytes:
    """``canvas`` (H x W x C uint8) as a ``fmt`` file: "png" (the default), "jpeg" or "webp".

    PNG keeps alpha and grayscale and carries ``text`` as text chunks. JPEG has no alpha, so
    transparent pixels are composited over white; it keeps grayscale. WebP has no grayscale
    mode, so gray becomes RGB. JPEG and WebP carry ``text["Software"]`` and
    ``text["Comment"]`` in EXIF.
    """
    image = _from_array(canvas)
    buffer = io.BytesIO()
    if fmt == "jpeg":
        if image.mode == "RGBA":
            image = _over_white(canvas)
        image.save(buffer, "JPEG", quality=JPEG_QUALITY, exif=_exif(text))
    elif fmt == "webp":
        if image.mode == "L":
            image = image.convert("RGB")
        image.save(buffer, "WEBP", quality=WEBP_QUALITY, exif=_exif(text))
    else:
        info = PngImagePlugin.PngInfo()
        for key, value in text.items():
            info.add_text(key, value)
        image.save(buffer, "PNG", compress_level=PNG_COMPRESS_LEVEL, pnginfo=info)
    return buffer.getvalue()


def _from_array(canvas: np.ndarray) -> Image.Image:
    # Pillow infers the mode from the shape: H x W is L, H x W x 3 RGB, H x W x 4 RGBA.
    if canvas.ndim == 3 and canvas.shape[2] == 1:
        canvas = canvas[..., 0]
    return Image.fromarray(np.ascontiguousarray(canvas))


def _over_white(canvas: np.ndarray) -> Image.Image:
    alpha = canvas[..., 3:].astype(np.float32) / 255.0
    rgb = canvas[..., :3].astype(np.float32) * alpha + 255.0 * (1.0 - alpha)
    return Image.fromarray(np.clip(np.rint(rgb), 0, 255).astype(np.uint8))


def _exif(text: Mapping[str, str]) -> bytes:
    exif = Image.Exif()
    if "Software" in text:
        exif[ExifTags.Base.Software] = text["Software"]
    if "Comment" in text:
        exif[ExifTags.Base.ImageDescription] = text["Comment"]
    return exif.tobytes()
