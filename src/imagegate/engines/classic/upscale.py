"""The classic engine's upscale: Lanczos resampling and a mild unsharp mask, on the CPU.

An honest upscale: every output pixel is interpolated from the source's own pixels (Lanczos,
over 8 x 8 source pixels, colour premultiplied by alpha), then edges are lifted a little by an
unsharp mask whose radius grows with the factor (a blur that wide is what the resampling
leaves); next to transparency the mask looks at visible neighbours only. Nothing is invented:
no faces restored, no texture made up, which is what the AI upscalers the catalog names
(Topaz, Nano Banana, Recraft) add and this engine does not.

Memory is bounded by the output's pixels, which the engine caps (``MAX_OUTPUT_PIXELS``):
measured at the cap, about 10 bytes a pixel for RGB and 25 for RGBA (float32 while
premultiplied) at the peak, over the 55 MB of the imports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from imagegate.catalog import ModelSpec
from imagegate.engines.base import OutputImage, SourceImage
from imagegate.engines.classic.progress import ProgressWriter
from imagegate.engines.classic.render import MIME_TYPES, guarded
from imagegate.engines.upscaling import upscaled_size
from imagegate.errors import InputRejected

if TYPE_CHECKING:
    # Imported where the work runs (as render.py does): the API's process builds the work and
    # never needs NumPy or OpenCV.
    import numpy as np

# 4096 x 4096: a 4K preset's size, and a 1024-pixel image upscaled 4x. Peak memory about 230 MB
# for RGB and 480 MB for RGBA at this size (test_classic_upscale.py measures the RGBA case);
# larger outputs are refused, naming the scale field.
MAX_OUTPUT_PIXELS: Final = 4096 * 4096
SOFTWARE: Final = "imagegate classic upscale engine"
# The unsharp mask: detail (the image less its blur) added back at this share, with a blur of
# this many output pixels per unit of factor (at least the floor, so 1x still sharpens).
SHARPEN_AMOUNT: Final = 0.35
SHARPEN_SIGMA_PER_FACTOR: Final = 0.5
SHARPEN_SIGMA_FLOOR: Final = 0.7

_STRIP_ROWS = 256  # rows of the alpha-weighted sharpening worked at a time (about 20 MB at 4K)
_DECODED = 0.1
_SHARPENED = 0.8


@dataclass(frozen=True, slots=True)
class UpscaleWork:
    """One task's upscale: the source file, its size as fetched, and the output's size."""

    source: bytes
    source_width: int  # as the file's header says, before any EXIF turn
    source_height: int
    width: int  # the output, for that header size (turned with the image if EXIF turns it)
    height: int
    scale: float
    output_format: str  # png | jpeg | webp
    progress_name: str | None = None
    source_field: str = "input.image"


def upscale_work(
    spec: ModelSpec, params: Mapping[str, Any], source: SourceImage, *, source_field: str,
    max_pixels: int = MAX_OUTPUT_PIXELS,
) -> UpscaleWork:
    """The work an upscale task asks for, its output held to the model's and the engine's
    limits (``InputRejected`` naming the field otherwise)."""
    size = upscaled_size(
        spec, params, (source.width, source.height), engine="classic", max_pixels=max_pixels
    )
    scale = spec.scale(params)
    if size is None or scale is None:
        raise InputRejected(f"input: model {spec.name} is not an upscaler")
    output_format = spec.output_format(params)
    if output_format not in MIME_TYPES:
        raise InputRejected(f"input.output_format: {output_format!r} is not supported")
    return UpscaleWork(
        source=source.data,
        source_width=source.width,
        source_height=source.height,
        width=size[0],
        height=size[1],
        scale=scale,
        output_format=output_format,
        source_field=source_field,
    )


def upscale_array(image: np.ndarray, size: tuple[int, int], scale: float) -> np.ndarray:
    """``image`` (H x W x C uint8, C = 1, 3 or 4) at ``size`` = (width, height): resampled
    (Lanczos up, area filter down), then sharpened by an unsharp mask sized for ``scale``.

    Alpha is resampled and never sharpened (a sharpened alpha edge is a halo), and the colour
    next to transparency is sharpened against its visible neighbours only: the invisible
    colour of transparent pixels would otherwise brighten or darken every edge.
    """
    import cv2
    import numpy as np

    from imagegate.engines.classic.reframe import resize

    if image.ndim == 2:
        image = image[..., None]
    if image.ndim != 3 or image.shape[2] not in (1, 3, 4) or image.dtype != np.uint8:
        raise ValueError("image must be H x W x C uint8 with 1, 3 or 4 channels")
    resized = resize(image, size)
    if resized is image:
        resized = image.copy()
    sigma = max(SHARPEN_SIGMA_FLOOR, SHARPEN_SIGMA_PER_FACTOR * scale)
    if resized.shape[2] == 4:
        _sharpen_over_alpha(resized, sigma)
        return resized
    blurred = cv2.GaussianBlur(resized, (0, 0), sigmaX=sigma)
    # (1 + a) * image - a * blur, rounded and saturated to 0-255 by OpenCV itself.
    sharpened = cv2.addWeighted(resized, 1.0 + SHARPEN_AMOUNT, blurred, -SHARPEN_AMOUNT, 0.0)
    return sharpened.reshape(resized.shape)


def _sharpen_over_alpha(rgba: np.ndarray, sigma: float) -> None:
    """The unsharp mask of ``rgba``'s colour, in place, against the alpha-weighted blur (the
    blur of premultiplied colour over the blur of alpha). Worked in strips of rows with a
    margin as wide as the blur reaches, so the float32 copies stay a few tens of MB."""
    import math

    import cv2
    import numpy as np

    # OpenCV's float Gaussian reaches 4 sigma: rows further from a strip's kept rows than
    # that cannot change them, so each strip gives exactly what the whole image would.
    # (At most 17 rows, at 8x: far less than a strip, so only the next strip reads a strip's
    # rows.)
    margin = math.ceil(4 * sigma) + 1
    height = rgba.shape[0]
    # A strip's result is written back only after the next strip has read its rows: that
    # strip's margin reaches into this one and must see the colour as it was.
    pending: tuple[int, int, np.ndarray] | None = None
    for top in range(0, height, _STRIP_ROWS):
        bottom = min(height, top + _STRIP_ROWS)
        low, high = max(0, top - margin), min(height, bottom + margin)
        alpha = rgba[low:high, :, 3].astype(np.float32) / 255.0
        colour = rgba[low:high, :, :3].astype(np.float32)
        weight = cv2.GaussianBlur(alpha, (0, 0), sigmaX=sigma)
        local = cv2.GaussianBlur(colour * alpha[..., None], (0, 0), sigmaX=sigma)
        np.divide(local, np.maximum(weight, 1e-6)[..., None], out=local)
        # No visible neighbour (weight ~0): nothing to sharpen against.
        np.copyto(local, colour, where=(weight < 1e-3)[..., None])
        colour += SHARPEN_AMOUNT * (colour - local)
        kept = colour[top - low : bottom - low]
        np.rint(kept, out=kept)
        np.clip(kept, 0.0, 255.0, out=kept)
        if pending is not None:
            _write(rgba, *pending)
        pending = (top, bottom, kept.astype(np.uint8))
    if pending is not None:
        _write(rgba, *pending)


def _write(rgba: np.ndarray, top: int, bottom: int, colour: np.ndarray) -> None:
    rgba[top:bottom, :, :3] = colour


def render_upscale(work: UpscaleWork) -> list[OutputImage]:
    """The task's one upscaled image (what a CpuPool process runs); failures leave as
    imagegate errors, as the reframe's do."""
    return guarded(_render_upscale, work)


def _render_upscale(
    work: UpscaleWork, _started: float, progress: ProgressWriter
) -> list[OutputImage]:
    import cv2

    from imagegate.engines.classic.codec import decode, encode

    # One task, one core (as the reframe): parallelism comes from engine processes.
    cv2.setNumThreads(1)
    width, height = work.width, work.height
    source = decode(work.source, (width, height), field=work.source_field)
    if (source.shape[1], source.shape[0]) != (work.source_width, work.source_height):
        # EXIF turned the image a quarter: the output turns with it.
        width, height = height, width
    progress.write(_DECODED)
    upscaled = upscale_array(source, (width, height), work.scale)
    progress.write(_SHARPENED)
    text = {
        "Software": SOFTWARE,
        "Comment": (
            f"{SOFTWARE}; {work.scale:g}x Lanczos resampling and an unsharp mask"
            f" (amount {SHARPEN_AMOUNT:g}); no detail added"
        ),
    }
    data = encode(upscaled, work.output_format, text)
    progress.write(1.0)
    return [OutputImage(data, MIME_TYPES[work.output_format], width, height)]
