"""The oracle fill of ``bench/reframe_frontier.py``: the engine's layout plus the true photo's
own detail, which no real method has (it reads the truth); it bounds what any fill short of
the true pixels can score on SSIM and gradient statistics together."""

from __future__ import annotations

import cv2
import numpy as np

from imagegate.engines.classic.detail import high_pass
from reframe.baselines import new_area
from reframe.methods import layout_only
from reframe.photos import Case

# Detail is what a Gaussian blur of this many pixels removes: 3 takes in enough of the middle
# scales that the truth's detail, at full gain, has better gradient statistics than the mirror
# (at 1.5 it did not: 0.314); the local strength is averaged over ENVELOPE_SIGMA pixels.
DETAIL_SIGMA = 3.0
ENVELOPE_SIGMA = 6.0


def _local_strength(detail: np.ndarray) -> np.ndarray:
    energy = cv2.GaussianBlur(np.square(detail).sum(axis=2), (0, 0), ENVELOPE_SIGMA)
    return np.asarray(np.sqrt(energy)[..., None] + 1e-3)


def oracle_fill(case: Case, gain: float, where: str) -> np.ndarray:
    """The case's canvas: the truth in the source's box, and in the new area the layout plus
    ``gain`` times the truth's detail, ``where`` "in place" or "elsewhere" (the detail of the
    photo turned half a circle, scaled to the truth's own local strength at each pixel)."""
    truth = case.truth.astype(np.float32)
    detail = high_pass(truth, DETAIL_SIGMA)
    if where == "elsewhere":
        moved = detail[::-1, ::-1]
        detail = moved * (_local_strength(detail) / _local_strength(moved))
    mask = new_area(case.size, case.box)
    layout = layout_only(case.crop, case.size, case.box).astype(np.float32)
    filled = np.where(mask[..., None], layout + gain * detail, truth)
    return np.clip(np.rint(filled), 0, 255).astype(np.uint8)
