"""A pipeline's images as imagegate's output files: at the size asked for, the outpainted
source's pixels put back exactly, encoded in the format asked for."""

from __future__ import annotations

import io
from typing import Final

import numpy as np
from PIL import Image

from imagegate.engines.base import OutputImage
from imagegate.engines.diffusers.mapping import Request

MIME_TYPES: Final = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
# PNG level 4: within 1-2 % of level 6's size at half its time (engines/classic/codec.py).
_PNG_LEVEL: Final = 4
_JPEG_QUALITY: Final = 92
_WEBP_QUALITY: Final = 90


def finish(request: Request, images: list[Image.Image]) -> list[OutputImage]:
    return [finish_one(request, image) for image in images]


def finish_one(request: Request, image: Image.Image) -> OutputImage:
    image = image.convert("RGB")
    if image.size != request.size:
        # Generated smaller (max_long_side) or rounded to a multiple of 16: the file has the
        # size the model promises.
        image = image.resize(request.size, Image.Resampling.LANCZOS)
    if request.paste is not None:
        where, pixels = request.paste.placement, request.paste.pixels
        canvas = np.array(image)
        canvas[where.top : where.top + where.inner_height,
               where.left : where.left + where.inner_width] = pixels
        image = Image.fromarray(canvas)
    buffer = io.BytesIO()
    fmt = request.output_format if request.output_format in MIME_TYPES else "png"
    if fmt == "jpeg":
        image.save(buffer, "JPEG", quality=_JPEG_QUALITY)
    elif fmt == "webp":
        image.save(buffer, "WEBP", quality=_WEBP_QUALITY)
    else:
        image.save(buffer, "PNG", compress_level=_PNG_LEVEL)
    return OutputImage(buffer.getvalue(), MIME_TYPES[fmt], image.width, image.height)
