"""Images given to the helpers: a URL is passed on as is; a path, bytes or a PIL image is
local data that is uploaded first."""

from __future__ import annotations

import base64
import binascii
import io
import mimetypes
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

from imagegate.imagetypes import sniff_image

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

ImageInput = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, "PILImage"]
"""What the helpers accept as an image: an http(s) URL, a ``data:`` URL, a local path,
encoded bytes or a PIL image."""

_DATA_URL = re.compile(r"^data:(?P<mime>[^;,]*)(?:;[^;,]*)*?;base64,", re.I)


@dataclass(frozen=True)
class LocalImage:
    """Image bytes to upload, with the name and type to upload them under."""

    data: bytes
    file_name: str
    mime_type: str


_EXT = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp", "image/gif": ".gif"}


def prepare_image(image: Any) -> str | LocalImage:
    """An image as a URL to pass on, or as local bytes to upload first."""
    if isinstance(image, str):
        if image.startswith(("http://", "https://")):
            return image
        if image[:5].lower() == "data:":
            return _from_data_url(image)
        return _from_path(Path(image))
    if isinstance(image, os.PathLike):
        return _from_path(Path(os.fspath(image)))
    if isinstance(image, bytes | bytearray | memoryview):
        data = bytes(image)
        if not data:
            raise ValueError("image bytes are empty")
        mime = sniff_image(data) or "application/octet-stream"
        return LocalImage(data, f"image{_EXT.get(mime, '.bin')}", mime)
    if callable(getattr(image, "save", None)) and hasattr(image, "mode"):
        return _from_pil(image)
    raise TypeError(
        "image must be a URL, a path, bytes or a PIL image, not " + type(image).__name__
    )


def _from_path(path: Path) -> LocalImage:
    if not path.is_file():
        raise FileNotFoundError(f"image file not found: {path}")
    data = path.read_bytes()
    mime = (
        sniff_image(data)
        or mimetypes.guess_type(path.name, strict=False)[0]
        or "application/octet-stream"
    )
    return LocalImage(data, path.name, mime)


def _from_data_url(url: str) -> LocalImage:
    match = _DATA_URL.match(url)
    if match is None:
        raise ValueError("a data: URL image must be base64 (data:<type>;base64,...)")
    try:
        data = base64.b64decode(url[match.end():], validate=False)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("the data: URL is not valid base64") from exc
    mime = sniff_image(data) or match["mime"] or "application/octet-stream"
    return LocalImage(data, f"image{_EXT.get(mime, '.bin')}", mime)


def _from_pil(image: Any) -> LocalImage:
    # PNG is lossless and takes every mode but CMYK and a few exotic ones, which become RGB.
    if image.mode not in ("1", "L", "LA", "I", "P", "RGB", "RGBA"):
        image = image.convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return LocalImage(buffer.getvalue(), "image.png", "image/png")
