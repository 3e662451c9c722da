"""The baselines the classic engine is measured against; none of them imports the engine.

Every method takes the crop, the canvas size (width, height), the box the crop occupies on the
canvas (the harness has checked it against the engine's ``place``), and a seed, and returns the
whole canvas (H x W x 3 uint8) with the crop's pixels in the box.

- ``edge-extend+blur``: the crop's border pixels repeated outwards (streaks perpendicular to
  the edge), then blurred more the further from the source: what a "smart fill" with no
  synthesis at all looks like. Smooth, never wrong in colour near the seam, no texture.
- ``opencv-telea`` / ``opencv-ns``: ``cv2.inpaint`` (Telea's fast marching; Navier-Stokes),
  radius 5. Diffusion methods made for scratches and thin holes; over wide bands they smear.
- ``mirror``: the crop reflected about its edges (``cv2.BORDER_REFLECT_101``): real texture
  at the right scale, and the layout of the source's own border region turned over.
- ``plain-patchmatch``: textbook PatchMatch + Wexler EM completion (``plain_patchmatch``).
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from reframe.photos import Box
from reframe.plain_patchmatch import Rect, complete

Method = Callable[[np.ndarray, tuple[int, int], Box, int], np.ndarray]

INPAINT_RADIUS = 5
# edge-extend+blur: Gaussian sigma = distance from the source edge / BLUR_PER_PIXEL, so the
# first rows stay crisp and the far ones become a soft wash of the edge's colours.
BLUR_PER_PIXEL = 4.0
BLUR_SIGMAS = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0)


def _pads(crop: np.ndarray, size: tuple[int, int], box: Box) -> tuple[int, int, int, int]:
    width, height = size
    if crop.shape[:2] != (box.height, box.width):
        raise ValueError("the crop does not have the box's size")
    return box.top, height - box.top - box.height, box.left, width - box.left - box.width


def _replicated(crop: np.ndarray, size: tuple[int, int], box: Box) -> np.ndarray:
    top, bottom, left, right = _pads(crop, size, box)
    return cv2.copyMakeBorder(crop, top, bottom, left, right, cv2.BORDER_REPLICATE)


def new_area(size: tuple[int, int], box: Box) -> np.ndarray:
    """H x W bool: True where the canvas has to be synthesised."""
    width, height = size
    mask = np.ones((height, width), dtype=bool)
    mask[box.top : box.top + box.height, box.left : box.left + box.width] = False
    return mask


def source_intact(canvas: np.ndarray, crop: np.ndarray, box: Box) -> bool:
    """Whether ``canvas`` holds ``crop``'s pixels, unchanged, in ``box``."""
    inside = canvas[box.top : box.top + box.height, box.left : box.left + box.width]
    return bool(np.array_equal(inside, crop))


def edge_extend_blur(
    crop: np.ndarray, size: tuple[int, int], box: Box, seed: int = 0
) -> np.ndarray:
    canvas = _replicated(crop, size, box).astype(np.float32)
    height, width = canvas.shape[:2]
    ys, xs = np.arange(height), np.arange(width)
    dy = np.maximum(np.maximum(box.top - ys, ys - (box.top + box.height - 1)), 0)
    dx = np.maximum(np.maximum(box.left - xs, xs - (box.left + box.width - 1)), 0)
    distance = np.maximum(dy[:, None], dx[None, :]).astype(np.float32)
    # Blend between a stack of fixed blurs (log-spaced sigmas) instead of a per-pixel kernel:
    # level 0 is the unblurred canvas, level i the blur with BLUR_SIGMAS[i - 1].
    stack = [canvas] + [cv2.GaussianBlur(canvas, (0, 0), s) for s in BLUR_SIGMAS]
    sigma = distance / BLUR_PER_PIXEL
    level = np.where(sigma >= 1.0, np.log2(np.maximum(sigma, 1.0)) + 1.0, sigma)
    level = np.clip(level, 0.0, len(BLUR_SIGMAS))
    low = np.minimum(level.astype(np.int32), len(BLUR_SIGMAS) - 1)
    frac = (level - low)[..., None]
    out = np.zeros_like(canvas)
    for i in range(len(BLUR_SIGMAS)):
        here = (low == i)[..., None]
        out = np.where(here, stack[i] * (1.0 - frac) + stack[i + 1] * frac, out)
    result = np.clip(np.rint(out), 0, 255).astype(np.uint8)
    result[box.top : box.top + box.height, box.left : box.left + box.width] = crop
    return result


def mirror(crop: np.ndarray, size: tuple[int, int], box: Box, seed: int = 0) -> np.ndarray:
    top, bottom, left, right = _pads(crop, size, box)
    # REFLECT_101 mirrors about the edge pixel itself, so the edge row is not doubled.
    return cv2.copyMakeBorder(crop, top, bottom, left, right, cv2.BORDER_REFLECT_101)


def _inpaint(flag: int) -> Method:
    def run(crop: np.ndarray, size: tuple[int, int], box: Box, seed: int = 0) -> np.ndarray:
        canvas = _replicated(crop, size, box)  # the masked pixels' values are not read
        mask = new_area(size, box).astype(np.uint8) * 255
        return cv2.inpaint(canvas, mask, INPAINT_RADIUS, flag)

    return run


def plain_patchmatch(
    crop: np.ndarray, size: tuple[int, int], box: Box, seed: int = 0
) -> np.ndarray:
    canvas = _replicated(crop, size, box)  # only the box is read
    return complete(canvas, Rect(box.top, box.left, box.height, box.width), seed=seed)


BASELINES: dict[str, Method] = {
    "edge-extend+blur": edge_extend_blur,
    "opencv-telea": _inpaint(cv2.INPAINT_TELEA),
    "opencv-ns": _inpaint(cv2.INPAINT_NS),
    "mirror": mirror,
    "plain-patchmatch": plain_patchmatch,
}
