"""The test photographs and the crop each is reduced to before being reframed back.

Only photographs bundled inside the scikit-image wheel are used (nothing is downloaded), and
only real photographs, not synthetic images or tileable textures. Each photo is cut down twice
to a centred region of a different aspect, once full width (the engine must invent bands above
and below) and once full height (bands left and right), so that 38 % of the photo is missing;
the photo itself is the ground truth for what the reframe should put there.

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
    def photo(self) -> str:
        """The photograph's name (a case's name is the photo's and how it was cut)."""
        return self.name.rsplit("-", 1)[0]

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


# Every photo is cut both ways: a full-width band (top/bottom bands to fill) and a full-height
# one (left/right), each keeping this share of the photo along the cut axis, so that 38 % of
# the canvas is new either way.
KEPT_SHARE = 0.62
ORIENTATIONS = ("height", "width")  # the axis that is cut: "height" keeps a full-width band

# (name, loader). All are photographs (or a scanned page and microscope images) shipped inside
# the scikit-image wheel under free licences (skimage/data/README.txt lists each one's); none
# is downloaded. Grey photos are given to every method as RGB.
PHOTOS: tuple[tuple[str, Callable[[], np.ndarray]], ...] = (
    ("astronaut", data.astronaut),  # 512x512
    ("chelsea", data.chelsea),  # 451x300
    ("coffee", data.coffee),  # 600x400
    ("rocket", data.rocket),  # 640x427
    ("camera", data.camera),  # 512x512 grey
    ("motorcycle", _motorcycle),  # 741x500 -> 640x432
    ("hubble", data.hubble_deep_field),  # 1000x872 -> 640x558
    ("coins", data.coins),  # 384x303 grey
    ("moon", data.moon),  # 512x512 grey
    ("clock", data.clock),  # 400x300 grey, motion-blurred wall clock
    ("text", data.text),  # 448x172 grey, a photographed sign
    ("page", data.page),  # 384x191 grey, a scanned page with uneven lighting
    ("immunohistochemistry", data.immunohistochemistry),  # 512x512, microscope photograph
    ("retina", data.retina),  # 1411x1411 -> 640x640, fundus photograph
)


def load_cases(limit: int | None = None) -> list[Case]:
    """The first ``limit`` photos (all by default), each cut both ways: two cases a photo."""
    cases = []
    for name, loader in PHOTOS[:limit]:
        truth = _rgb(loader())
        height, width = truth.shape[:2]
        for axis in ORIENTATIONS:
            if axis == "height":
                crop_w, crop_h = width, round(height * KEPT_SHARE)
            else:
                crop_w, crop_h = round(width * KEPT_SHARE), height
            box = Box((width - crop_w) // 2, (height - crop_h) // 2, crop_w, crop_h)
            # The crop must come back exactly where it was cut, unscaled, or the synthesised
            # area would be compared with the wrong part of the truth: ask the engine's own
            # geometry.
            p = place(crop_w, crop_h, width, height)
            if Box(p.left, p.top, p.inner_width, p.inner_height) != box:
                raise AssertionError(f"{name}: place() puts the crop elsewhere: {p} vs {box}")
            suffix = "rows" if axis == "height" else "cols"
            cases.append(Case(f"{name}-{suffix}", truth, box))
    return cases
