"""Closing regions: how far each thing cut by the frame should reach beyond it.

Along the border, the source shows a row of regions: a stretch of wall, a forehead, a badge,
more wall. Carried straight out, every region becomes a column (a forehead grows into a tower
of skin). Things in photographs are mostly compact, so a region of width w at the border is
taken to end about w/2 beyond it, in a half-disc; past its cap the nearest region still open
at that distance closes over it. Wide regions (background) reach far, narrow ones (a coin, a
badge) close soon, and the widest one never closes. This shapes the guide (``guide``), which
shapes what the synthesis puts where.
"""

from __future__ import annotations

import itertools

import cv2
import numpy as np

# A region boundary is a change along the border this many times the profile's median change
# (and at least this share of the profile's spread).
EDGE_FACTOR = 3.0
EDGE_FLOOR = 0.15
MIN_REGION = 3  # pixels; narrower regions join a neighbour
CAP_SHAPE = 2.0  # a region of width w reaches CAP_SHAPE * w / 2 beyond the border


def regions(profile: np.ndarray) -> list[tuple[int, int]]:
    """The border's regions as [start, end) column ranges, left to right, covering it."""
    width = profile.shape[0]
    if width < 2 * MIN_REGION:
        return [(0, width)]
    spread = float(profile.std()) + 1e-6
    smooth = cv2.GaussianBlur(profile[None], (0, 0), sigmaX=1.5, sigmaY=1e-3).reshape(
        profile.shape
    ) / spread
    change = np.zeros(width, np.float32)
    change[2:-2] = np.sqrt(((smooth[4:] - smooth[:-4]) ** 2).sum(axis=1))
    threshold = max(EDGE_FLOOR, EDGE_FACTOR * float(np.median(change[2:-2])))
    peaks = (
        (change > threshold)
        & (change >= np.roll(change, 1))
        & (change > np.roll(change, -1))
    )
    cuts = [0]
    for x in np.flatnonzero(peaks):
        if x - cuts[-1] >= MIN_REGION and width - x >= MIN_REGION:
            cuts.append(int(x))
    cuts.append(width)
    return list(itertools.pairwise(cuts))


def capped_rows(profile: np.ndarray, distances: np.ndarray) -> np.ndarray:
    """len(distances) x width x C: for each distance from the border, the profile with every
    region past its cap replaced by the nearest region still open there."""
    width = profile.shape[0]
    spans = regions(profile)
    widths = np.array([end - start for start, end in spans], np.float32)
    centres = np.array([(start + end - 1) / 2 for start, end in spans], np.float32)
    owner = np.repeat(np.arange(len(spans)), widths.astype(np.int64))
    columns = np.arange(width, dtype=np.float32)
    half = widths[owner] / 2
    offset = np.abs(columns - centres[owner])
    # Reach of each column: a half-disc over its region; the widest region reaches forever.
    reach = CAP_SHAPE * np.sqrt(np.maximum(half * half - offset * offset, 0.0)) + 0.5
    reach[owner == int(np.argmax(widths))] = np.inf
    out = np.empty((len(distances), width, profile.shape[1]), np.float32)
    index = np.arange(width)
    for row, distance in enumerate(distances):
        open_ = reach >= distance
        if open_.all():
            out[row] = profile
            continue
        # Nearest open column on each side (cumulative max/min of open columns' indices).
        left = np.maximum.accumulate(np.where(open_, index, -1))
        right = np.minimum.accumulate(np.where(open_, index, width)[::-1])[::-1]
        has_left, has_right = left >= 0, right < width
        take_left = has_left & (~has_right | (index - left <= right - index))
        source = np.where(take_left, left, np.where(has_right, right, index))
        out[row] = profile[source]
    return out
