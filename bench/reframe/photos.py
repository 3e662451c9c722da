"""The test photographs and the crop each is reduced to before being reframed back.

Only photographs bundled inside the scikit-image wheel are used (nothing is downloaded), and
only real photographs, not synthetic images or tileable textures. Each photo is cut down to a
centred region of a different aspect, full width (the engine must invent bands above and
below) or full height (bands left and right), so that 30-45 % of the photo is missing; the
photo itself is the ground truth for what the reframe should put there.

The crop is chosen so the reframe needs no scaling: it spans the photo in one direction, so
``place(crop, photo size)`` gives exactly the crop's size and position. ``load_cases`` checks
that with the engine's own ``place`` rather than trusting the arithmetic here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
from skimage import data

from imagegate.engines.classic.geometry import place

# Longer photos are shrunk (area filter) to this long side, to keep a full run to minutes.
MAX_SIDE = 640


@dataclass(frozen=True, slots=True)
class Box:
    """The kept rectangle in canvas pixels: where the source sits after reframing."""

    left: int
    top: int
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    truth: np.ndarray  # H x W x 3 uint8, the whole photo
    box: Box  # the part of it the reframe is given

    @property
    def size(self) -> tuple[int, int]:
        """The canvas (width, height): the photo's own size."""
        return self.truth.shape[1], self.truth.shape[0]

    @property
    def crop(self) -> np.ndarray:
        b = self.box
        return np.ascontiguousarray(self.truth[b.top : b.top + b.height, b.left : b.left + b.width])

    @property
    def bands(self) -> str:
        return "top/bottom" if self.box.width == self.truth.shape[1] else "left/right"

    @property
    def new_fraction(self) -> float:
        """The share of the canvas that has to be synthesised."""
        h, w = self.truth.shape[:2]
        return 1.0 - self.box.width * self.box.height / (w * h)


def _rgb(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:  # camera, coins: grayscale photographs, given to every method as RGB
        image = np.repeat(image[..., None], 3, axis=2)
    height, width = image.shape[:2]
    scale = MAX_SIDE / max(height, width)
    if scale < 1:
        size = (round(width * scale), round(height * scale))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(image[..., :3])


def _motorcycle() -> np.ndarray:
    return data.stereo_motorcycle()[0]  # the left view of the stereo pair


# (name, loader, kept size along the cut axis, axis): "height" keeps a full-width band of that
# height (top/bottom bands to fill), "width" a full-height band (left/right). Sizes are picked
# for 30-45 % missing; the comment gives the photo size after _rgb and the missing share.
PHOTOS: tuple[tuple[str, Callable[[], np.ndarray], int, str], ...] = (
    ("astronaut", data.astronaut, 288, "height"),  # 512x512 -> 16:9 band, 43.8 % new
    ("chelsea", data.chelsea, 300, "width"),  # 451x300 -> square, 33.5 % new
    ("coffee", data.coffee, 256, "height"),  # 600x400, 36.0 % new
    ("rocket", data.rocket, 360, "width"),  # 640x427, 43.8 % new
    ("camera", data.camera, 320, "width"),  # 512x512 grayscale, 37.5 % new
    ("motorcycle", _motorcycle, 432, "width"),  # 741x500 -> 640x432 -> square, 32.5 % new
    ("hubble", data.hubble_deep_field, 360, "height"),  # 1000x872 -> 640x558, 35.5 % new
    ("coins", data.coins, 192, "height"),  # 384x303 grayscale, 36.6 % new
)


def load_cases(limit: int | None = None) -> list[Case]:
    cases = []
    for name, loader, kept, axis in PHOTOS[:limit]:
        truth = _rgb(loader())
        height, width = truth.shape[:2]
        crop_w, crop_h = (width, kept) if axis == "height" else (kept, height)
        box = Box((width - crop_w) // 2, (height - crop_h) // 2, crop_w, crop_h)
        # The crop must come back exactly where it was cut, unscaled, or the synthesised area
        # would be compared with the wrong part of the truth: ask the engine's own geometry.
        p = place(crop_w, crop_h, width, height)
        if Box(p.left, p.top, p.inner_width, p.inner_height) != box:
            raise AssertionError(f"{name}: place() puts the crop elsewhere: {p} vs {box}")
        cases.append(Case(name, truth, box))
    return cases
