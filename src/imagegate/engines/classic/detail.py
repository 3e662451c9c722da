"""Detail: what a Gaussian blur takes out of an image, the unit the engine's sharpness steps
work in (the search's wash-out guard, ``restore_detail``; the finish's detail and
sharpness matches, ``finish``): each measures the detail of the fill and of the border rows the
same way and scales the fill's.

The wash-out guard is there because averaging overlapping patches in the search's vote blurs
the estimate, the next search then matches the blur with smooth patches, and each round the
fill gets smoother (the new area came out half as sharp as the photo beside it, and the speeds
with more rounds were softer). Turning the estimate's detail back up to the border rows' before
the next search keeps it choosing textured patches where the photo has texture.
"""

from __future__ import annotations

import cv2
import numpy as np


def high_pass(image: np.ndarray, sigma: float) -> np.ndarray:
    """``image`` (rows x width x C float32) minus its Gaussian blur of ``sigma`` pixels."""
    blurred = cv2.GaussianBlur(image, (0, 0), sigma).reshape(image.shape)
    detail: np.ndarray = image - blurred
    return detail


def strength(detail: np.ndarray) -> np.ndarray:
    """Per pixel, the length of ``detail``'s colour vector (rows x width)."""
    size: np.ndarray = np.sqrt(np.square(detail).sum(axis=2))
    return size


# The wash-out guard: detail is what a blur of RESTORE_SIGMA pixels (at the level's scale)
# removes; the estimate's is scaled up to the border rows' (as many rows as the band has), by
# at most RESTORE_CEILING. On bench/reframe_quality.py this took BALANCED's gradient distance
# from 0.394 to 0.325 and QUALITY's from 0.438 to 0.334 (the gap between the speeds was the
# wash-out: more rounds, smoother fill), for 0.02 of SSIM.
RESTORE_SIGMA = 2.0
RESTORE_CEILING = 3.0


def restore_detail(canvas: np.ndarray, hole: int) -> np.ndarray:
    """``canvas`` with the detail of its first ``hole`` rows (the voted estimate) scaled up to
    the detail energy of the ``hole`` source rows below them; never down (a smooth estimate
    beside a smooth border is right) and by at most ``RESTORE_CEILING``."""
    part = canvas[: 2 * hole]
    detail = high_pass(part, RESTORE_SIGMA)
    estimate_energy = float(np.sqrt(np.mean(np.square(detail[:hole])))) + 1e-6
    border_energy = float(np.sqrt(np.mean(np.square(detail[hole:])))) + 1e-6
    gain = min(max(border_energy / estimate_energy, 1.0), RESTORE_CEILING)
    canvas[:hole] += (gain - 1.0) * detail[:hole]
    return canvas
