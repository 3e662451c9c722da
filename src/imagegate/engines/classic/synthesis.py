"""Fill the two bands beside the placed source: the classic engine's synthesis, end to end.

Bands are handled as "rows above a source": a canvas with new columns is transposed, and the
band below the source is the band above the source turned upside down. Each band's patch
search (``band``) runs on a reduced copy sized by the rendering speed; its field then copies
full-resolution pixels (``finish``). The second band pays for source patches the first one
used, so the same object is not copied into both.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import cv2
import numpy as np

from imagegate.engines.classic.band import BandResult, BandSynthesis
from imagegate.engines.classic.effort import Effort, effort_for
from imagegate.engines.classic.features import lab_features
from imagegate.engines.classic.finish import copy_band
from imagegate.engines.classic.geometry import Placement
from imagegate.engines.classic.layout import layout_fill

# The finish (``copy_band``: copying, layout, detail and seam) costs about this many
# pixel-rounds of the search per full-resolution pixel of the band (measured at 1024 px
# outputs: about 7.5e-7 s a pixel against 1.2e-5 s a pixel-round).
FINISH_WORK = 0.06


def extend(
    inner: np.ndarray,
    placement: Placement,
    *,
    speed: str,
    seed: int,
    progress: Callable[[float], None] | None,
    deadline: float | None,
) -> np.ndarray:
    """The full canvas: ``inner`` (the scaled source) placed and the rest synthesised."""
    effort = effort_for(speed)
    rows_mode = placement.bands_are_rows
    source = inner if rows_mode else inner.transpose(1, 0, 2)
    extent = placement.height if rows_mode else placement.width
    before = placement.top if rows_mode else placement.left
    after = extent - before - source.shape[0]
    bands = _Bands(source, extent, effort, seed, progress, deadline)
    top = bands.fill(source, before, prior=None)
    bottom = bands.fill(source[::-1], after, prior=bands.last_usage_flipped())
    canvas = np.concatenate([top, source, bottom[::-1]], axis=0)
    return np.ascontiguousarray(canvas if rows_mode else canvas.transpose(1, 0, 2))


class _Bands:
    """Shared state of the two bands: the reduced source, progress and the time budget."""

    def __init__(
        self,
        source: np.ndarray,
        extent: int,
        effort: Effort,
        seed: int,
        progress: Callable[[float], None] | None,
        deadline: float | None,
    ) -> None:
        self.effort = effort
        self.seed = seed
        self.progress = progress
        self.deadline = deadline
        rows, width = source.shape[:2]
        scale = min(1.0, effort.work_side / max(extent, width))
        need = effort.patch + 2
        self.scale = scale
        size = (max(1, round(width * scale)), max(1, round(rows * scale)))
        reduced = cv2.resize(source, size, interpolation=cv2.INTER_AREA)
        self.features = lab_features(reduced.reshape(size[1], size[0], source.shape[2]))
        # A source only a few patches thin at the search's scale (a banner reframed to a
        # square) has too little to copy from, and searching it at a finer scale would cost
        # the full canvas: its bands get the predicted layout alone instead.
        self.searchable = min(size) >= need
        # Progress, in pixel-rounds of the search (``BandSynthesis.work``) plus the finish.
        self.done = 0.0
        self.total = 0.0
        self.usage: np.ndarray | None = None
        self.bands_started = 0

    def fill(self, source: np.ndarray, hole: int, prior: np.ndarray | None) -> np.ndarray:
        """The ``hole`` rows above ``source``."""
        self.bands_started += 1
        width, channels = source.shape[1], source.shape[2]
        if hole <= 0:
            return np.zeros((0, width, channels), np.uint8)
        if not self.searchable:
            return _smooth_band(source, hole)
        features = self.features if self.bands_started == 1 else self.features[::-1]
        rng = np.random.default_rng([self.seed, self.bands_started])
        band = BandSynthesis(
            np.ascontiguousarray(features),
            max(1, round(hole * self.scale)),
            self.effort,
            rng,
            prior_usage=prior,
            tick=self._tick,
            preference=_preference(rng, features.shape[:2]),
        )
        # Progress counts the work of both bands: the first band's search and finish stand in
        # for the second's until the second starts and its own are known.
        finish = FINISH_WORK * hole * width
        if self.bands_started == 1:
            self.total = 2.0 * (band.work() + finish)
        else:
            self.total = self.done + band.work() + finish
        result: BandResult = band.run()
        self.usage = result.usage
        filled = copy_band(result, source, hole)
        self._advance(finish)
        return filled

    def last_usage_flipped(self) -> np.ndarray | None:
        """The first band's source usage, as the second band (source upside down) sees it."""
        return None if self.usage is None else np.ascontiguousarray(self.usage[::-1])

    def _tick(self, work: float) -> bool:
        self._advance(work)
        return self.deadline is None or time.monotonic() < self.deadline

    def _advance(self, work: float) -> None:
        self.done += work
        if self.progress is not None and self.total:
            self.progress(min(1.0, self.done / self.total))


def _preference(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """A smooth random 0-1 map of the source's size (a few bumps across it), from the seed."""
    rows, width = shape[:2]
    grid = rng.random((4, 6)).astype(np.float32)
    smooth = cv2.resize(grid, (width, rows), interpolation=cv2.INTER_CUBIC)
    low, high = float(smooth.min()), float(smooth.max())
    return ((smooth - low) / max(high - low, 1e-6)).astype(np.float32)


def _smooth_band(source: np.ndarray, hole: int) -> np.ndarray:
    """For sources too small to take patches from: the predicted layout alone (``layout``)."""
    filled = layout_fill(source, hole)
    return np.clip(np.round(filled), 0, 255).astype(np.uint8)
