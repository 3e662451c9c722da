"""A pipeline's images as imagegate's output files: at the size asked for, the outpainted
source's pixels put back exactly, encoded in the format asked for (the classic engine's
encoder and its settings: engines/classic/codec.py)."""

from __future__ import annotations

from typing import Final

import numpy as np
from PIL import Image

from imagegate.engines.base import OutputImage
from imagegate.engines.classic.codec import encode
from imagegate.engines.classic.render import MIME_TYPES
from imagegate.engines.diffusers.mapping import Request

# Written into each file (PNG text chunk, EXIF of JPEG and WebP), as the classic engine does.
_METADATA: Final = {"Software": "imagegate diffusers engine"}


def finish(request: Request, images: list[Image.Image]) -> list[OutputImage]:
    return [finish_one(request, image) for image in images]


def finish_one(request: Request, image: Image.Image) -> OutputImage:
    image = image.convert("RGB")
    if image.size != request.size:
        # Generated smaller (max_long_side) or rounded to a multiple of 16: the file has the
        # size the model promises.
        image = image.resize(request.size, Image.Resampling.LANCZOS)
    canvas = np.array(image)
    if request.paste is not None:
        where, pixels = request.paste.placement, request.paste.pixels
        canvas[where.top : where.top + where.inner_height,
               where.left : where.left + where.inner_width] = pixels
    fmt = request.output_format if request.output_format in MIME_TYPES else "png"
    return OutputImage(encode(canvas, fmt, _METADATA), MIME_TYPES[fmt], canvas.shape[1],
                       canvas.shape[0])
