"""The layout of a new band: its large-scale colour and brightness field, from the border alone.

A reframe's new area has two parts that are predicted differently. Its fine texture can be
copied from the photo's own patches, anywhere in the photo; its layout (where the sky is, where
the ground is, how bright each side is) can only be predicted from what is at the border, and
patches copied from elsewhere bring their own, wrong, layout with them. So the band is split:
this module predicts the low band, ``finish`` adds the copied high band to it.

The prediction carries the border row outwards along the lines that cross it (a horizon, the
edge of a wall or a road leaving the frame at an angle keeps its angle), and blurs it along the
row more the farther it gets from the border: near the border the layout is the border's, far
from it only its broad colours remain. In tuning runs on the cases of
``bench/reframe_quality.py`` (the layout alone, error at 1/16 scale) this did better than a
harmonic (push-pull) fill, than the same fill pulled towards the border region's mean, than
straight replication, than a fill extrapolating the border's brightness trend, and than the
same carrying with regions closed beyond their caps (``caps``, as the guide does), which cost
0.3 to 5 grey levels of that error depending on how far regions were let reach. Those tuning
scripts were not kept; the bench's ``classic-layout-only`` row measures this fill as it is.
"""

from __future__ import annotations

import cv2
import numpy as np

# Blur along the row at distance d from the border: sigma = BLUR_PER_ROW * d pixels.
BLUR_PER_ROW = 0.25
# The lines' directions are read from the first DEPTH_SHARE of the band's width in source rows,
# averaged along the border over a Gaussian of SMOOTH_SHARE of the width: a direction is a
# property of a long structure, not of a pixel's noise.
DEPTH_SHARE = 0.025
SMOOTH_SHARE = 0.04
# A line is followed at most this many columns per row (about 56 degrees off the normal):
# flatter lines hardly cross the border, and following them would smear one colour sideways.
MAX_SLOPE = 1.5


def line_slopes(source: np.ndarray) -> np.ndarray:
    """Per column, how far along the border (columns per row outwards) the line that runs
    through it is read: a line leaning left outwards is read from the right.

    The structure tensor of the border rows gives each column's dominant orientation; the line
    (isophote) runs across it. A column where the orientation is not coherent (texture, flat
    sky) gets a slope near 0: its colour is carried straight out.
    """
    rows, width = source.shape[:2]
    depth = int(min(rows, max(3, round(DEPTH_SHARE * width) + 2)))
    strip = source[:depth].astype(np.float32).mean(axis=2)
    # The first and last rows' vertical gradients see a reflected border (zero): drop them.
    inner = slice(1, depth - 1) if depth >= 3 else slice(0, depth)
    gx = cv2.Sobel(strip, cv2.CV_32F, 1, 0, ksize=3)[inner]
    gy = cv2.Sobel(strip, cv2.CV_32F, 0, 1, ksize=3)[inner]
    sigma = max(1.0, SMOOTH_SHARE * width)

    def along_border(values: np.ndarray) -> np.ndarray:
        mean = values.mean(axis=0)[None, :]
        blurred = cv2.GaussianBlur(mean, (0, 0), sigmaX=sigma, sigmaY=1e-3,
                                   borderType=cv2.BORDER_REFLECT)
        return np.asarray(blurred, np.float32).reshape(width)

    jxx, jyy, jxy = along_border(gx * gx), along_border(gy * gy), along_border(gx * gy)
    # The gradient's orientation; the line runs at right angles to it.
    theta = 0.5 * np.arctan2(2.0 * jxy, jxx - jyy)
    vx, vy = -np.sin(theta), np.cos(theta)
    spread = np.sqrt((jxx - jyy) ** 2 + 4.0 * jxy * jxy)
    coherence = (spread / (jxx + jyy + 1e-6)) ** 2
    # Rows grow into the source, so a line that is at column c on the border is at column
    # c - d * vx / vy d rows out: the row d out reads the border d * vx / vy columns over.
    safe_vy = np.where(np.abs(vy) > 1e-3, vy, 1.0)
    slope = np.where(np.abs(vy) > 1e-3, vx / safe_vy, 0.0)
    slopes: np.ndarray = (np.clip(slope, -MAX_SLOPE, MAX_SLOPE) * coherence).astype(np.float32)
    return slopes


def layout_fill(source: np.ndarray, hole: int) -> np.ndarray:
    """``hole`` x width x C float32: the predicted layout of the rows above ``source``."""
    width, channels = source.shape[1], source.shape[2]
    if hole <= 0:
        return np.zeros((0, width, channels), np.float32)
    border = source[0].astype(np.float32)  # width x C
    distances = hole - np.arange(hole, dtype=np.float32)  # row hole-1 is 1 pixel away
    # Each border pixel is carried along its line: d rows out it lands at x - d * slope(x).
    # Landing spots are splatted (linear weights) and the row is then blurred as a normalised
    # convolution, so columns that no line reaches take their neighbours' colours.
    landing = np.arange(width, dtype=np.float32)[None, :] - (
        distances[:, None] * line_slopes(source)[None, :]
    )
    landing = np.clip(landing, 0.0, width - 1.0)
    left = np.minimum(np.floor(landing).astype(np.int64), max(width - 2, 0))
    u = landing - left
    rows = np.arange(hole, dtype=np.int64)[:, None] * width
    values = np.concatenate([border, np.ones((width, 1), np.float32)], axis=1)  # colour, weight
    splat = np.zeros((hole * width, channels + 1), np.float64)
    for offset, share in ((0, 1.0 - u), (1, u)):
        index = (rows + np.minimum(left + offset, width - 1)).ravel()
        for c in range(channels + 1):
            splat[:, c] += np.bincount(
                index, weights=(share * values[None, :, c]).ravel(), minlength=hole * width
            )
    blurred = _box_blur_rows(splat.reshape(hole, width, channels + 1), BLUR_PER_ROW * distances)
    weight = blurred[..., channels:]
    fill = blurred[..., :channels] / np.maximum(weight, 1e-9)
    # Only where nothing at all landed within the blur (it cannot happen with a blur wider
    # than the largest gap, but a guard is cheap) is the border carried straight out.
    result: np.ndarray = np.where(weight > 1e-9, fill, border[None, :, :]).astype(np.float32)
    return result


# Three box passes make a Gaussian to within a few percent (the central limit theorem).
BOX_PASSES = 3


def _box_blur_rows(image: np.ndarray, sigmas: np.ndarray) -> np.ndarray:
    """Blur each row of ``image`` (rows x width x K) along itself with its own sigma.

    Running sums make a box filter cost the same at any width, so a far row's wide blur costs
    no more than a near row's narrow one, and all rows go at once. Pixels past the ends count
    as absent, not as zeros: the caller divides by a blurred weight channel.
    """
    hole, width = image.shape[:2]
    # A box of width w has variance (w^2 - 1) / 12; BOX_PASSES of them add up.
    box = np.sqrt(12.0 * np.square(sigmas) / BOX_PASSES + 1.0)
    radius = np.clip(np.round((box - 1.0) / 2.0), 0, width).astype(np.int64)[:, None]
    columns = np.arange(width, dtype=np.int64)[None, :]
    low = np.clip(columns - radius, 0, width)
    high = np.clip(columns + radius + 1, 0, width)
    lines = np.arange(hole, dtype=np.int64)[:, None]
    out = image
    for _ in range(BOX_PASSES):
        running = np.zeros((hole, width + 1, image.shape[2]), np.float64)
        np.cumsum(out, axis=1, out=running[:, 1:])
        out = np.asarray(running[lines, high] - running[lines, low], np.float64)
    return out
