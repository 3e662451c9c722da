"""The guide: what the new rows' low frequencies should be, from the border alone.

Each column's colour at the border is carried up into the new rows and blurred along the row,
more the farther from the border: near it, the new rows keep the border's colours column by
column; far from it only the broad layout survives. On its own that is the "edge-extend and
blur" fill (clean, obviously fake); as a guide it keeps the synthesised texture where the
border says it belongs (sky above sky, wall above wall) and is the target of the final
low-frequency correction (``finish``).
"""

from __future__ import annotations

import cv2
import numpy as np

from imagegate.engines.classic.caps import capped_rows

# Blur along the row at distance d from the border: sigma = BASE + GROWTH * d (pixels).
BASE_SIGMA = 1.0
GROWTH = 0.3
# Close regions beyond their caps (``caps``); False carries every column straight out.
CAPS = True
# Regions and caps are found on the profile at most this many columns wide (it is broad work).
CAP_WIDTH = 256


def border_profile(source: np.ndarray) -> np.ndarray:
    """The border's colour per column: a weighted mean of the source's first rows."""
    rows = source.shape[0]
    depth = max(1, min(rows, round(rows * 0.03) + 1))
    weights = np.linspace(1.0, 0.3, depth, dtype=np.float32)
    strip = source[:depth].astype(np.float32)
    return np.tensordot(weights / weights.sum(), strip, axes=(0, 0))  # width x C


def edge_guide(source: np.ndarray, hole: int) -> np.ndarray:
    """``hole`` x width x C float32: the guide for the rows above ``source``."""
    profile = border_profile(source)
    width, channels = profile.shape
    if hole <= 0:
        return np.zeros((0, width, channels), np.float32)
    distances = hole - np.arange(hole, dtype=np.float32)  # row hole-1 is 1 pixel away
    sigmas = BASE_SIGMA + GROWTH * distances
    if CAPS:
        return _capped_guide(profile, distances, sigmas)
    # Blur the profile at a ladder of sigmas and interpolate each row between two rungs.
    ladder = np.unique(np.round(np.geomspace(BASE_SIGMA, max(sigmas.max(), BASE_SIGMA), 12), 2))
    blurred = np.stack([_blur_row(profile, s) for s in ladder])  # rungs x width x C
    position = np.interp(sigmas, ladder, np.arange(len(ladder), dtype=np.float32))
    low = np.floor(position).astype(np.int32)
    high = np.minimum(low + 1, len(ladder) - 1)
    t = (position - low)[:, None, None].astype(np.float32)
    rows: np.ndarray = ((1.0 - t) * blurred[low] + t * blurred[high]).astype(np.float32)
    return rows


def _blur_row(profile: np.ndarray, sigma: float) -> np.ndarray:
    row = profile[None, :, :]
    blurred = cv2.GaussianBlur(row, (0, 0), sigmaX=float(sigma), sigmaY=1e-3,
                               borderType=cv2.BORDER_REFLECT)
    return blurred.reshape(profile.shape)


def _capped_guide(profile: np.ndarray, distances: np.ndarray, sigmas: np.ndarray) -> np.ndarray:
    """The guide with regions closing beyond their caps (``caps``), blurred row by row."""
    width, channels = profile.shape
    shrink = max(1.0, width / CAP_WIDTH)
    small_width = max(1, round(width / shrink))
    small = cv2.resize(profile[None], (small_width, 1), interpolation=cv2.INTER_AREA).reshape(
        small_width, channels
    )
    rows = capped_rows(small, distances / shrink)
    out = np.empty_like(rows)
    rungs = np.unique(np.round(np.geomspace(BASE_SIGMA, max(sigmas.max(), BASE_SIGMA), 12), 2))
    nearest = np.abs(sigmas[:, None] - rungs[None, :]).argmin(axis=1)
    for rung in np.unique(nearest):
        chosen = nearest == rung
        block = np.ascontiguousarray(rows[chosen])
        sigma = max(0.3, float(rungs[rung]) / shrink)
        blurred = cv2.GaussianBlur(block, (0, 0), sigmaX=sigma, sigmaY=1e-3,
                                   borderType=cv2.BORDER_REFLECT)
        out[chosen] = blurred.reshape(block.shape)
    if small_width == width:
        return out
    full = cv2.resize(out, (width, len(distances)), interpolation=cv2.INTER_LINEAR)
    guide: np.ndarray = np.asarray(full, np.float32).reshape(len(distances), width, channels)
    return guide
