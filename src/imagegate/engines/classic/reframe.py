"""reframe_array: the classic engine's whole job on arrays, with no I/O.

The source is scaled to fit the canvas (aspect kept), placed centred with its pixels untouched,
and the two bands beside it are synthesised from the source's own patches (``synthesis``).
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from imagegate.engines.classic.geometry import Placement, place
from imagegate.engines.classic.synthesis import extend

Progress = Callable[[float], None]


def scale_source(image: np.ndarray, placement: Placement) -> np.ndarray:
    """The source at the size it takes on the canvas (area filter down, Lanczos up)."""
    return resize(image, (placement.inner_width, placement.inner_height))


def resize(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``image`` (H x W x C uint8) at ``size`` = (width, height): an area filter down, Lanczos
    up, colour premultiplied by alpha where there is alpha."""
    if (image.shape[1], image.shape[0]) == size:
        return image
    shrinking = size[0] < image.shape[1]
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LANCZOS4
    if image.shape[2] == 4:
        return _resize_premultiplied(image, size, interpolation)
    scaled = cv2.resize(image, size, interpolation=interpolation)
    return scaled.reshape(size[1], size[0], image.shape[2])


def _resize_premultiplied(image: np.ndarray, size: tuple[int, int], interpolation: int
                          ) -> np.ndarray:
    # Scale colour premultiplied by alpha, or transparent pixels' (invisible) colour bleeds
    # into the visible edge as a dark or coloured fringe. The scaled array is worked in place:
    # an upscale's output can be 16 megapixels, 256 MB as float32 RGBA.
    alpha = image[..., 3:].astype(np.float32) / 255.0
    premultiplied = np.concatenate([image[..., :3] * alpha, alpha * 255.0], axis=2)
    scaled = cv2.resize(premultiplied, size, interpolation=interpolation)
    # Colour is premultiplied colour over alpha as Lanczos left them, before either is
    # clipped: clipping an alpha that overshot 255 first would inflate the colour beside
    # every opaque edge (a flat red shape would get a brighter rim).
    scaled_alpha = scaled[..., 3:] / 255.0
    colour = scaled[..., :3]
    np.divide(colour, np.maximum(scaled_alpha, 1e-6), out=colour)
    np.copyto(colour, 0.0, where=scaled_alpha <= 0)
    np.rint(scaled, out=scaled)
    np.clip(scaled, 0.0, 255.0, out=scaled)
    return scaled.astype(np.uint8)


def reframe_array(
    image: np.ndarray,
    size: tuple[int, int],
    *,
    speed: str = "BALANCED",
    seed: int = 0,
    progress: Progress | None = None,
    deadline: float | None = None,
) -> np.ndarray:
    """Reframe ``image`` (H x W x C uint8, C = 1, 3 or 4) onto a ``size`` = (width, height) canvas.

    ``speed`` is the rendering speed (TURBO, BALANCED, QUALITY); ``seed`` makes the fill
    reproducible; ``progress`` is called with 0.0-1.0 as the work advances; ``deadline`` is a
    ``time.monotonic()`` instant after which the synthesis stops refining and finishes with
    what it has. Returns the canvas, H x W x C uint8, with the scaled source's pixels unchanged.
    """
    if image.ndim == 2:
        image = image[..., None]
    if image.ndim != 3 or image.shape[2] not in (1, 3, 4) or image.dtype != np.uint8:
        raise ValueError("image must be H x W x C uint8 with 1, 3 or 4 channels")
    width, height = size
    placement = place(image.shape[1], image.shape[0], width, height)
    inner = scale_source(image, placement)
    if not placement.has_new_area:
        return inner
    canvas = extend(
        inner, placement, speed=speed, seed=seed, progress=progress, deadline=deadline
    )
    top, left = placement.top, placement.left
    canvas[top : top + placement.inner_height, left : left + placement.inner_width] = inner
    return canvas
