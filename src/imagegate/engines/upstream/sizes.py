"""imagegate's image sizes in an upstream's terms.

A task's ``image_size`` is one of the catalog's named presets or, when it came through
Ideogram's own endpoints, one of Ideogram v3's 69 "WxH" resolutions. Ideogram takes only the
latter, a Kie-compatible upstream only the former; each side gets the nearest size it has
(same aspect ratio first, then the nearest area), and where the task asked for exact pixels
the result is fitted to them (scaled to cover, then centre-cropped).
"""

from __future__ import annotations

import io
import math

from PIL import Image

from imagegate.catalog.presets import IDEOGRAM_V3_RESOLUTIONS, IMAGE_SIZE_PRESETS, pixel_size
from imagegate.engines.base import OutputImage

_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP"}


def _nearest(target: tuple[int, int], candidates: dict[str, tuple[int, int]]) -> str:
    width, height = target
    aspect = math.log(width / height)

    def distance(name: str) -> tuple[float, float]:
        w, h = candidates[name]
        return abs(math.log(w / h) - aspect), abs(math.log((w * h) / (width * height)))

    return min(candidates, key=distance)


_IDEOGRAM_SIZES = {
    value: (int(value.split("x")[0]), int(value.split("x")[1])) for value in IDEOGRAM_V3_RESOLUTIONS
}


def ideogram_resolution(image_size: str) -> str:
    """The Ideogram v3 resolution ("WxH") for a task's ``image_size``."""
    if image_size in _IDEOGRAM_SIZES:
        return image_size
    size = pixel_size(image_size)
    if size is None:
        raise ValueError(f"no pixels known for image size {image_size!r}")
    return _nearest(size, _IDEOGRAM_SIZES)


def kie_image_size(image_size: str) -> tuple[str, tuple[int, int] | None]:
    """The catalog preset to send a Kie-compatible upstream, and the exact pixels the result
    must be fitted to afterwards (None when the preset is what the task asked for)."""
    if image_size in IMAGE_SIZE_PRESETS:
        return image_size, None
    size = pixel_size(image_size)
    if size is None:
        raise ValueError(f"no pixels known for image size {image_size!r}")
    return _nearest(size, dict(IMAGE_SIZE_PRESETS)), size


def fit(image: OutputImage, size: tuple[int, int]) -> OutputImage:
    """``image`` scaled to cover ``size`` and centre-cropped to it, in its own format."""
    if (image.width, image.height) == size:
        return image
    width, height = size
    with Image.open(io.BytesIO(image.data)) as source:
        source.load()
        scale = max(width / source.width, height / source.height)
        scaled = source.resize(
            (max(width, round(source.width * scale)), max(height, round(source.height * scale))),
            Image.Resampling.LANCZOS,
        )
    left = (scaled.width - width) // 2
    top = (scaled.height - height) // 2
    cropped = scaled.crop((left, top, left + width, top + height))
    if image.mime_type == "image/jpeg" and cropped.mode not in ("RGB", "L"):
        cropped = cropped.convert("RGB")
    buffer = io.BytesIO()
    cropped.save(buffer, _FORMATS.get(image.mime_type, "PNG"))
    mime = image.mime_type if image.mime_type in _FORMATS else "image/png"
    return OutputImage(data=buffer.getvalue(), mime_type=mime, width=width, height=height)
