"""A vectorised PatchMatch (Barnes et al. 2009): a nearest-neighbour field, improved in sweeps.

Classic PatchMatch scans pixels in order so each one can take its neighbour's fresh match. In
NumPy that loop is far too slow, so every pixel moves at once (a Jacobi sweep): each takes the
better of its own match, its four neighbours' matches shifted by one pixel (propagation, which
is what copies coherent regions), and random candidates at shrinking radii around its match.
Good matches travel one pixel per propagation step, so each sweep also propagates from a few
pixels away (jump flooding), which makes up for the lost sequential spread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

CostFn = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True, slots=True)
class Bounds:
    """Inclusive rows and columns where a match's centre may lie (its whole patch is known)."""

    top: int
    bottom: int
    left: int
    right: int

    def clamp(self, ys: np.ndarray, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.clip(ys, self.top, self.bottom), np.clip(xs, self.left, self.right)

    def inside(self, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
        return (ys >= self.top) & (ys <= self.bottom) & (xs >= self.left) & (xs <= self.right)

    def random(self, shape: tuple[int, ...], rng: np.random.Generator) -> tuple[np.ndarray, ...]:
        ys = rng.integers(self.top, self.bottom + 1, shape, dtype=np.int32)
        xs = rng.integers(self.left, self.right + 1, shape, dtype=np.int32)
        return ys, xs


@dataclass(slots=True)
class Field:
    """A match (``ys``, ``xs``) and its cost for each target pixel of a rows x cols grid."""

    ys: np.ndarray
    xs: np.ndarray
    cost: np.ndarray

    def offer(
        self, ys: np.ndarray, xs: np.ndarray, cost: np.ndarray, valid: np.ndarray | None = None
    ) -> None:
        """Keep the candidates that are better than the current matches (and ``valid``)."""
        better = cost < self.cost
        if valid is not None:
            better &= valid
        self.ys = np.where(better, ys, self.ys)
        self.xs = np.where(better, xs, self.xs)
        self.cost = np.where(better, cost, self.cost)


def improve(
    field: Field,
    cost_of: CostFn,
    bounds: Bounds,
    rng: np.random.Generator,
    sweeps: int,
    on_sweep: Callable[[Field], None] | None = None,
) -> None:
    """Run ``sweeps`` rounds of propagation and random search over the whole field.

    A candidate that falls outside ``bounds`` is dropped, not clamped: clamping piles
    candidates onto the edge row, and a field that copies one row again and again is a streak.
    ``on_sweep`` is called with the field before each sweep (costs that look at neighbours'
    matches refresh their view of the field there).
    """
    height, width = field.ys.shape
    max_radius = max(bounds.bottom - bounds.top, bounds.right - bounds.left, 1)
    for sweep in range(sweeps):
        if on_sweep is not None:
            on_sweep(field)
        for jump in _jumps(sweep, max(height, width)):
            for dy, dx in ((jump, 0), (-jump, 0), (0, jump), (0, -jump)):
                ys, xs = _shifted(field.ys, field.xs, dy, dx)
                valid = bounds.inside(ys, xs)
                ys, xs = bounds.clamp(ys, xs)
                field.offer(ys, xs, cost_of(ys, xs), valid)
        radius = max_radius
        while radius >= 1:
            ys = field.ys + rng.integers(-radius, radius + 1, field.ys.shape, dtype=np.int32)
            xs = field.xs + rng.integers(-radius, radius + 1, field.xs.shape, dtype=np.int32)
            valid = bounds.inside(ys, xs)
            ys, xs = bounds.clamp(ys, xs)
            field.offer(ys, xs, cost_of(ys, xs), valid)
            radius //= 2


def _jumps(sweep: int, extent: int) -> list[int]:
    """Propagation distances for one sweep, halving down to 1 (jump flooding), so a good match
    spreads across the field within a sweep, not one pixel per sweep. The first sweep starts
    farther out, as the field is random then."""
    start = (16, 8, 4, 2) if sweep == 0 else (4, 2)
    return [jump for jump in start if jump * 4 <= extent] + [1]


def _shifted(ys: np.ndarray, xs: np.ndarray, dy: int, dx: int) -> tuple[np.ndarray, np.ndarray]:
    """The candidate each pixel gets from its neighbour (dy, dx) away: that neighbour's match,
    moved by (-dy, -dx), so the two matches stay side by side as the two pixels are. Pixels
    without such a neighbour keep their own match."""
    out_y, out_x = ys.copy(), xs.copy()
    height, width = ys.shape
    if abs(dy) >= height or abs(dx) >= width:
        return out_y, out_x
    dst = (slice(max(0, -dy), height - max(0, dy)), slice(max(0, -dx), width - max(0, dx)))
    src = (slice(max(0, dy), height - max(0, -dy)), slice(max(0, dx), width - max(0, -dx)))
    out_y[dst] = ys[src] - dy
    out_x[dst] = xs[src] - dx
    return out_y, out_x
