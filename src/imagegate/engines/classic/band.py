"""Extend an image upwards: the patch synthesis of one band, coarse to fine.

The band's canvas is ``hole`` new rows on top of the source. At each level of a pyramid a
nearest-neighbour field maps every pixel whose patch touches the new rows to a patch of the
source, and the new rows are re-estimated by letting the matched patches vote (Wexler et al.
2007's expectation-maximisation, the method behind content-aware fill). The coarsest level
decides the layout; finer ones inherit its field, scaled up, and refine the detail.

What a plain fill lacks, and this one adds to each match's cost:

- a guide: the match's blurred colour against the layout predicted from the border
  (``layout``), so the new rows keep the border's low frequencies (sky stays above the
  horizon, colours don't drift) and the patches chosen agree with the layout that ``finish``
  gives the band in the end;
- an occurrence penalty (after Kaspar et al. 2015): patches already used by many pixels cost
  more, so one object cannot be stamped again and again, and the fill draws on the whole
  background instead of its one best-matching corner;
- a preference drawn from the seed: a smooth random map over the source that makes some of
  its regions a little cheaper than others, so each seed fills from other places (``num_images``
  gives visibly different pictures, not the same one with other noise);
- a saliency penalty: patches with rare colour and dense edges (faces, logos, the subject)
  cost more to copy than background, so the new area shows more background, as a wider shot
  would, instead of a second subject.

After each vote, the wash-out guard (``detail.restore_detail``): else the fill gets smoother.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from imagegate.engines.classic.detail import restore_detail
from imagegate.engines.classic.effort import Effort
from imagegate.engines.classic.features import describe, patch_basis
from imagegate.engines.classic.layout import layout_fill
from imagegate.engines.classic.patchmatch import Bounds, Field, improve

# Weights of the penalties, in units of a typical patch distance at the level.
GUIDE_WEIGHT = 2.25
OCCURRENCE_WEIGHT = 1.0
SALIENCY_WEIGHT = 3.0
COHERENCE_WEIGHT = 0.3
# 8 (was 2): more texture from the photo nearest the border, which a viewer compares the fill
# with; bench gradient distance TURBO 0.295 -> 0.284, BALANCED 0.285 -> 0.282.
LOCALITY_WEIGHT = 8.0
VARIETY_WEIGHT = 1.0
# A round's fixed cost (its level's set-up, per-call overheads), in pixels' worth of work: a
# rough figure, which only makes progress run more evenly through a TURBO reframe's small levels.
ROUND_OVERHEAD = 2000.0


@dataclass(frozen=True, slots=True)
class BandResult:
    """The finest level's field: for each pixel of the first ``rows`` rows of a ``hole``-row
    band above a ``source_rows``-row source, the source position its patch was matched to
    (source coordinates: row 0 is the source's top row)."""

    hole: int
    source_rows: int
    width: int
    ys: np.ndarray
    xs: np.ndarray
    usage: np.ndarray  # how much each source pixel was used, source-sized, for the other band


@dataclass(slots=True)
class Level:
    """One pyramid level of the band: the source features and the canvas being estimated."""

    source: np.ndarray  # source rows x width x C features
    hole: int
    radius: int

    @property
    def width(self) -> int:
        return int(self.source.shape[1])

    @property
    def rows(self) -> int:
        """Target rows: every row whose patch overlaps the new area."""
        return self.hole + self.radius

    @property
    def bounds(self) -> Bounds:
        r = self.radius
        last_row = self.hole + self.source.shape[0] - 1
        return Bounds(self.hole + r, last_row - r, r, self.width - 1 - r)


class BandSynthesis:
    """Runs the pyramid for one band; call ``run`` once."""

    def __init__(
        self,
        source: np.ndarray,
        hole: int,
        effort: Effort,
        rng: np.random.Generator,
        prior_usage: np.ndarray | None = None,
        tick: Callable[[float], bool] | None = None,
        preference: np.ndarray | None = None,
    ) -> None:
        self.effort = effort
        self.rng = rng
        self.prior_usage = prior_usage
        self.preference = preference
        # ``tick`` is called after each round with that round's work (``round_work``); False
        # means "out of time, finish now".
        self.tick = tick or (lambda _work: True)
        self.levels = _pyramid(source, hole, effort)

    def round_work(self, level: Level) -> float:
        """What one round at ``level`` costs, in pixel-rounds: the pixels searched and voted,
        plus a fixed share per round (a round on a tiny level is not free)."""
        return float(level.rows * level.width + ROUND_OVERHEAD)

    def work(self) -> float:
        """All the rounds ``run`` will do, in pixel-rounds (progress counts these)."""
        return sum(
            self.round_work(level)
            * (self.effort.em_coarse if index == 0 else self.effort.em_fine)
            for index, level in enumerate(self.levels)
        )

    def run(self) -> BandResult:
        field: Field | None = None
        canvas: np.ndarray | None = None
        previous: Level | None = None
        out_of_time = False
        level = self.levels[0]
        for index, level in enumerate(self.levels):
            context = _LevelContext(
                level, self.effort, self.rng, self.prior_usage, self.preference
            )
            if field is None or previous is None:
                canvas = context.initial_canvas()
                field = context.random_field()
            else:
                field = context.upsampled_field(field, previous)
                canvas = context.vote(field)
            rounds = self.effort.em_coarse if index == 0 else self.effort.em_fine
            for _ in range(rounds):
                if out_of_time:
                    break
                field = context.search(field, canvas)
                canvas = context.vote(field)
                out_of_time = not self.tick(self.round_work(level))
            previous = level
            if out_of_time:
                break
        assert field is not None
        usage = _usage(field, level)
        return BandResult(
            hole=level.hole,
            source_rows=level.source.shape[0],
            width=level.width,
            ys=field.ys - level.hole,
            xs=field.xs,
            usage=usage,
        )


def _pyramid(source: np.ndarray, hole: int, effort: Effort) -> list[Level]:
    """Levels from coarsest to finest (the finest is the given source)."""
    radius = effort.patch // 2
    levels = [Level(source, hole, radius)]
    while True:
        finest = levels[-1]
        rows, width = finest.source.shape[:2]
        if min(rows, width) // 2 < max(effort.min_side, 2 * radius + 3):
            break
        size = (max(1, round(width / 2)), max(1, round(rows / 2)))
        smaller = cv2.resize(finest.source, size, interpolation=cv2.INTER_AREA)
        smaller = smaller.reshape(size[1], size[0], source.shape[2])
        levels.append(Level(smaller, max(1, round(finest.hole / 2)), radius))
    return levels[::-1]


def _usage(field: Field, level: Level) -> np.ndarray:
    """How many times each source pixel is copied into the new area, averaged over a patch.

    A coherent copy of a region uses each of its pixels once (1.0); the same region copied
    twice reads 2.0. Only the excess over one use is penalised: copying is how the fill
    looks real, copying the same thing again is how it looks cloned.
    """
    rows, width = level.source.shape[:2]
    counts = np.zeros((rows, width), np.float32)
    hole_rows = slice(0, level.hole)
    np.add.at(counts, (field.ys[hole_rows] - level.hole, field.xs[hole_rows]), 1.0)
    size = 2 * level.radius + 1
    return cv2.boxFilter(counts, -1, (size, size), normalize=True)


class _LevelContext:
    """Everything one level's rounds need, computed once."""

    def __init__(
        self,
        level: Level,
        effort: Effort,
        rng: np.random.Generator,
        prior_usage: np.ndarray | None,
        preference: np.ndarray | None = None,
    ) -> None:
        self.level = level
        self.rng = rng
        self.sweeps = effort.sweeps
        self.neighbours: list[tuple[np.ndarray, np.ndarray]] = []
        source = level.source
        rows, width, channels = source.shape
        r = level.radius
        self.basis = patch_basis(source, 2 * r + 1, min(effort.dims, (2 * r + 1) ** 2 * channels),
                                 rng)
        self.source_desc = describe(source, self.basis)
        blur = max(1.0, r)
        self.source_low = cv2.GaussianBlur(source, (0, 0), blur).reshape(source.shape)
        self.guide = np.concatenate(
            [layout_fill(source, level.hole), source[: level.radius]], axis=0
        )
        self.guide_low = cv2.GaussianBlur(self.guide, (0, 0), blur).reshape(self.guide.shape)
        self.saliency = _saliency(source, self.source_low)
        prior = np.zeros((rows, width), np.float32)
        if prior_usage is not None:
            # Uses per pixel: an average, so resizing keeps its values.
            prior = np.asarray(
                cv2.resize(prior_usage, (width, rows), interpolation=cv2.INTER_AREA), np.float32
            )
        self.prior = prior
        self.preference = np.zeros((rows, width), np.float32)
        if preference is not None:
            self.preference = np.asarray(
                cv2.resize(preference, (width, rows), interpolation=cv2.INTER_LINEAR), np.float32
            )
        self.usage = prior.copy()
        # Set by _calibrate on the level's first round: a typical patch distance, and the
        # inverse of a typical guide distance.
        self.scale = 1.0
        self.guide_scale = 1.0

    # -- fields --------------------------------------------------------------------------

    def initial_canvas(self) -> np.ndarray:
        level = self.level
        canvas = np.concatenate([self.guide[: level.hole], level.source], axis=0)
        return np.ascontiguousarray(canvas)

    def random_field(self) -> Field:
        shape = (self.level.rows, self.level.width)
        ys, xs = self.level.bounds.random(shape, self.rng)
        return Field(ys, xs, np.full(shape, np.inf, np.float32))

    def upsampled_field(self, coarse: Field, coarse_level: Level) -> Field:
        """The coarser level's field at this level's size: offsets scaled, matches clamped."""
        level = self.level
        rows, width = level.rows, level.width
        sy = coarse_level.rows / rows
        sx = coarse_level.width / width
        grid_y = np.minimum(((np.arange(rows) + 0.5) * sy).astype(np.int32), coarse_level.rows - 1)
        grid_x = np.minimum(((np.arange(width) + 0.5) * sx).astype(np.int32),
                            coarse_level.width - 1)
        # Source-relative positions scale with the source; target positions with the canvas.
        ry = (level.source.shape[0] / coarse_level.source.shape[0])
        rx = width / coarse_level.width
        coarse_y = coarse.ys[grid_y[:, None], grid_x[None, :]] - coarse_level.hole
        coarse_x = coarse.xs[grid_y[:, None], grid_x[None, :]]
        within_y = (np.arange(rows)[:, None] + 0.5) * sy - (grid_y[:, None] + 0.5)
        within_x = (np.arange(width)[None, :] + 0.5) * sx - (grid_x[None, :] + 0.5)
        ys = np.round((coarse_y + 0.5 + within_y) * ry - 0.5).astype(np.int32) + level.hole
        xs = np.round((coarse_x + 0.5 + within_x) * rx - 0.5).astype(np.int32)
        ys, xs = level.bounds.clamp(ys, xs)
        return Field(ys, xs, np.full((rows, width), np.inf, np.float32))

    def _look_at(self, field: Field) -> None:
        """Each pixel's four neighbours' matches, moved as if coherent with the pixel."""
        self.neighbours = [
            (
                np.roll(field.ys, (-dy, -dx), axis=(0, 1)) - dy,
                np.roll(field.xs, (-dy, -dx), axis=(0, 1)) - dx,
            )
            for dy, dx in ((1, 0), (-1, 0), (0, 1), (0, -1))
        ]

    def _incoherence(self, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
        """0-1 per pixel: the share of its four neighbours whose match does not sit beside
        this candidate as the neighbour sits beside the pixel. Favouring coherent matches makes
        the fill copy whole regions (sharp, real texture) rather than a mosaic of patches."""
        misses = np.zeros(ys.shape, np.float32)
        for ny, nx in self.neighbours:
            misses += (ny != ys) | (nx != xs)
        return misses * 0.25

    # -- one round -----------------------------------------------------------------------

    def search(self, field: Field, canvas: np.ndarray) -> Field:
        level = self.level
        context_rows = min(canvas.shape[0], level.rows + level.radius)
        target_desc = describe(canvas[:context_rows], self.basis)[: level.rows]
        hole = level.hole
        radius = level.radius
        inv_rows = 1.0 / max(1, level.source.shape[0] - 2 * radius)
        inv_width = 1.0 / max(1, level.width)
        columns = np.arange(level.width, dtype=np.int32)[None, :]

        def cost_of(ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
            sy = ys - hole
            diff = target_desc - self.source_desc[sy, xs]
            cost = np.einsum("ijk,ijk->ij", diff, diff)
            low = self.guide_low - self.source_low[sy, xs]
            penalty = GUIDE_WEIGHT * np.einsum("ijk,ijk->ij", low, low) * self.guide_scale
            penalty += SALIENCY_WEIGHT * self.saliency[sy, xs]
            penalty += VARIETY_WEIGHT * self.preference[sy, xs]
            penalty += OCCURRENCE_WEIGHT * np.maximum(self.usage[sy, xs] - 1.0, 0.0)
            penalty += COHERENCE_WEIGHT * self._incoherence(ys, xs)
            rel_y = (sy.astype(np.float32) - radius) * inv_rows
            rel_x = (xs - columns).astype(np.float32) * inv_width
            penalty += LOCALITY_WEIGHT * (rel_y * rel_y + rel_x * rel_x)
            total: np.ndarray = cost + penalty * self.scale
            return total

        self._look_at(field)
        if not np.isfinite(field.cost).all():
            field.cost = cost_of(field.ys, field.xs)
            self._calibrate(field, target_desc)
            field.cost = cost_of(field.ys, field.xs)
        else:
            field.cost = cost_of(field.ys, field.xs)
        improve(field, cost_of, level.bounds, self.rng, self.sweeps, self._look_at)
        self.usage = self.prior + _usage(field, level)
        return field

    def _calibrate(self, field: Field, target_desc: np.ndarray) -> None:
        """Express the penalties in units of this level's typical patch distance."""
        sy = field.ys - self.level.hole
        diff = target_desc - self.source_desc[sy, field.xs]
        typical = float(np.median(np.einsum("ijk,ijk->ij", diff, diff))) + 1e-3
        self.scale = typical
        low = self.guide_low - self.source_low[sy, field.xs]
        low_typical = float(np.median(np.einsum("ijk,ijk->ij", low, low))) + 1e-3
        self.guide_scale = 1.0 / low_typical

    def vote(self, field: Field) -> np.ndarray:
        """The new rows re-estimated from the matched patches that cover them."""
        level = self.level
        r = level.radius
        hole, width = level.hole, level.width
        source = level.source
        channels = source.shape[2]
        cost = field.cost
        if np.isfinite(cost).all():
            sigma = float(np.percentile(cost[:hole], 75)) + 1e-6
            weights = np.exp(-cost / sigma).astype(np.float32)
        else:
            weights = np.ones_like(cost, dtype=np.float32)
        # Pad the field so every shift reads inside it; padded pixels carry no weight.
        pad = ((r, r), (r, r))
        ys = np.pad(field.ys - hole, pad, mode="edge")
        xs = np.pad(field.xs, pad, mode="edge")
        ws = np.pad(weights, pad)
        acc = np.zeros((hole, width, channels), np.float32)
        total = np.zeros((hole, width, 1), np.float32)
        for dy in range(-r, r + 1):
            for dx in range(-r, r + 1):
                # Pixel q takes from the patch centred at p = q - (dy, dx) its pixel at (dy, dx).
                rows = slice(r - dy, r - dy + hole)
                cols = slice(r - dx, r - dx + width)
                w = ws[rows, cols][..., None]
                acc += w * source[ys[rows, cols] + dy, xs[rows, cols] + dx]
                total += w
        estimate = acc / np.maximum(total, 1e-6)
        canvas = np.concatenate([estimate, source], axis=0)
        return np.ascontiguousarray(restore_detail(canvas, hole))


def _saliency(source: np.ndarray, low: np.ndarray) -> np.ndarray:
    """0-1 per source pixel: how much it stands out (rare colour, dense edges).

    Rarity is the distance of the blurred colour from the source's mean colour; edge density
    the blurred gradient magnitude. Both are scaled by their 95th percentile, so the measure
    is relative to this picture.
    """
    rows, width = source.shape[:2]
    sigma = max(2.0, min(rows, width) / 24)
    mean = low.reshape(-1, low.shape[2]).mean(axis=0)
    rarity = np.sqrt(((cv2.GaussianBlur(low, (0, 0), sigma).reshape(low.shape) - mean) ** 2)
                     .sum(axis=2))
    grey = source[..., 0]
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1)
    edges = cv2.GaussianBlur(np.sqrt(gx * gx + gy * gy), (0, 0), sigma)
    score = _relative(rarity) * 0.5 + _relative(edges) * 0.5
    return np.clip(score, 0.0, 1.5).astype(np.float32) ** 2


def _relative(values: np.ndarray) -> np.ndarray:
    return values / (float(np.percentile(values, 95)) + 1e-6)
