"""Plain multi-scale PatchMatch completion: the textbook baseline, with no guards of any kind.

This is the method everyone starts from, written down so the classic engine is compared with
it rather than with a straw man:

- **Search** (Barnes et al. 2009, "PatchMatch"): a nearest-neighbour field (NNF) maps every
  target patch (a 7x7 patch that touches the area to fill) to a source patch (a 7x7 patch
  wholly inside the known rectangle), improved by *propagation* (a neighbour's match, shifted
  by the offset between the two) and *random search* (candidates drawn around the current
  match in windows halving from the source's size down to one pixel), compared by plain sum of
  squared RGB differences over the whole patch.
- **Completion** (Wexler, Shechtman and Irani 2007, "Space-time completion of video"): EM
  iterations alternate the search with *voting*, where every unknown pixel becomes the
  weighted mean of the pixels that the overlapping matched patches put there, the weight of a
  patch being ``exp(-d / (2 * sigma2))`` with ``d`` its SSD and ``sigma2`` the 75th percentile
  of all of them; coarse to fine over a pyramid of halving scales, the NNF carried up each
  level (coordinates doubled) and the image upsampled as the next level's starting point.
  The coarsest level starts from an onion-peel fill (Newson et al. 2014): EM only polishes a
  guess, and from a smooth one (edge pixels repeated and blurred, tried first) it converged to
  flat, smeared bands.

Deliberately absent, because they are what a production engine adds on top: no penalty on
reusing the same source patch many times, no saliency or "don't copy the subject" terms, no
colour or gradient-domain matching, no seam handling, no constraint on where patches may come
from beyond "inside the known rectangle".

Two departures from the papers, both for speed in numpy, neither a guard: propagation is done
in parallel for all target pixels at once (a Jacobi-style sweep, jump-flooding over steps 4, 2,
1 so a good match still travels several pixels an iteration, alternating the scan direction
between iterations as Barnes does), not in raster order; and the known region is a rectangle
(all a reframe has), so drawing and clamping source candidates is arithmetic, not a mask test.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

PATCH = 7
HALF = PATCH // 2
# The coarsest level keeps at least this many pixels on its short side: below that a 7x7 patch
# is a large part of the image and the fill stops being about texture.
MIN_SIDE = 40
# Jump-flooding steps of one propagation sweep (see the module docstring).
PROPAGATION_STEPS = (4, 2, 1)


@dataclass(frozen=True, slots=True)
class Rect:
    """The known rectangle: rows ``top`` to ``top + height``, columns ``left`` to ``left + width``
    (end exclusive)."""

    top: int
    left: int
    height: int
    width: int


@dataclass(slots=True)
class _Level:
    image: np.ndarray  # h x w x 3 float32; known pixels exact, unknown ones the current guess
    known: Rect


def complete(canvas: np.ndarray, known: Rect, *, seed: int = 0) -> np.ndarray:
    """Fill everything outside ``known`` in ``canvas`` (H x W x 3 uint8); return a new canvas.

    Pixels inside ``known`` are returned unchanged; the rest of ``canvas`` is never read.
    """
    if canvas.ndim != 3 or canvas.shape[2] != 3 or canvas.dtype != np.uint8:
        raise ValueError("canvas must be H x W x 3 uint8")
    if min(known.height, known.width) < 2 * PATCH:
        raise ValueError("the known rectangle is too small for 7x7 patches")
    rng = np.random.default_rng(seed)
    levels = _pyramid(canvas.astype(np.float32), known)
    n_levels = len(levels)
    nnf: tuple[np.ndarray, np.ndarray] | None = None
    image: np.ndarray | None = None
    for index, level in enumerate(levels):  # coarsest first
        image = _initial_guess(level) if image is None else _upsample_guess(image, level)
        finest = index == n_levels - 1
        # Many EM iterations where they are cheap and decide the layout, few where they are
        # expensive and only refine detail (Wexler's schedule, in spirit).
        em_iterations = 2 if finest else max(3, 8 - 2 * index)
        nnf = _upsample_nnf(nnf, level) if nnf is not None else _random_nnf(level, rng)
        for iteration in range(em_iterations):
            searches = 4 if index == 0 and iteration == 0 else 2
            nnf, dist = _search(image, level.known, nnf, rng, searches)
            image = _vote(image, level.known, nnf, dist)
    assert image is not None
    out = np.clip(np.rint(image), 0, 255).astype(np.uint8)
    top, left = known.top, known.left
    out[top : top + known.height, left : left + known.width] = canvas[
        top : top + known.height, left : left + known.width
    ]
    return out


def _pyramid(image: np.ndarray, known: Rect) -> list[_Level]:
    """Levels coarsest first; a coarse level's known rectangle holds only pixels that are area
    averages of known fine pixels, so the unknown canvas never leaks into the source."""
    height, width = image.shape[:2]
    count = 1
    while True:
        scale = 2.0**count
        small = min(height, width) / scale
        coarse_known = min(known.height, known.width) / scale
        if small < MIN_SIDE or coarse_known < 3 * PATCH:
            break
        count += 1
    levels = []
    for n in range(count - 1, -1, -1):
        h, w = round(height / 2**n), round(width / 2**n)
        sy, sx = h / height, w / width
        top, left = math.ceil(known.top * sy), math.ceil(known.left * sx)
        bottom = math.floor((known.top + known.height) * sy)
        right = math.floor((known.left + known.width) * sx)
        scaled = image if n == 0 else cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)
        levels.append(_Level(scaled, Rect(top, left, bottom - top, right - left)))
    return levels


def _unknown_mask(shape: tuple[int, ...], known: Rect) -> np.ndarray:
    mask = np.ones(shape[:2], dtype=bool)
    mask[known.top : known.top + known.height, known.left : known.left + known.width] = False
    return mask


def _initial_guess(level: _Level) -> np.ndarray:
    """Coarsest level: onion-peel filling (as in Newson et al. 2014's completion), the usual
    start for Wexler's EM, which only polishes a guess and keeps a smooth one smooth.

    Layer by layer outwards from the known rectangle, each unknown pixel takes the centre of the
    source patch nearest (SSD over the patch's already known or filled pixels, by brute force:
    the coarsest level is small) to the patch around it.
    """
    k = level.known
    image = level.image.copy()
    h, w = image.shape[:2]
    y0, y1, x0, x1 = _source_bounds(k)
    windows = np.lib.stride_tricks.sliding_window_view(image, (PATCH, PATCH), axis=(0, 1))
    sources = windows[y0 - HALF : y1 - HALF + 1, x0 - HALF : x1 - HALF + 1].reshape(
        -1, 3, PATCH * PATCH
    )
    centres = sources[:, :, PATCH * PATCH // 2].copy()  # N x 3
    sources = sources.reshape(len(sources), -1).astype(np.float64)
    source_sq = (sources**2).T
    # Chebyshev distance to the known rectangle: the layers to fill, nearest first.
    ys, xs = np.arange(h), np.arange(w)
    dy = np.maximum(np.maximum(k.top - ys, ys - (k.top + k.height - 1)), 0)
    dx = np.maximum(np.maximum(k.left - xs, xs - (k.left + k.width - 1)), 0)
    layer = np.maximum(dy[:, None], dx[None, :])
    # Pad by the patch radius so every pixel has a full window; padding counts as unknown.
    filled = np.pad(layer == 0, HALF, constant_values=False)
    padded = np.pad(image, ((HALF, HALF), (HALF, HALF), (0, 0)))
    for depth in range(1, int(layer.max()) + 1):
        ty, tx = np.nonzero(layer == depth)
        pw = np.lib.stride_tricks.sliding_window_view(padded, (PATCH, PATCH), axis=(0, 1))
        mw = np.lib.stride_tricks.sliding_window_view(filled, (PATCH, PATCH))
        values = pw[ty, tx].reshape(len(ty), -1).astype(np.float64)  # N x (3 * 49)
        weights = np.tile(mw[ty, tx].reshape(len(ty), 1, -1), (1, 3, 1)).reshape(len(ty), -1)
        weights = weights.astype(np.float64)
        # Masked SSD for every (target, source) pair: sum m (t - s)^2 expanded into products.
        distance = (
            (weights * values**2).sum(axis=1)[:, None]
            - 2.0 * (weights * values) @ sources.T
            + weights @ source_sq
        )
        best = np.argmin(distance, axis=1)
        padded[ty + HALF, tx + HALF] = centres[best]
        filled[ty + HALF, tx + HALF] = True
    return np.ascontiguousarray(padded[HALF : HALF + h, HALF : HALF + w])


def _upsample_guess(coarse: np.ndarray, level: _Level) -> np.ndarray:
    h, w = level.image.shape[:2]
    up = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_LINEAR)
    unknown = _unknown_mask(up.shape, level.known)
    out = level.image.copy()
    out[unknown] = up[unknown]
    return out


def _source_bounds(known: Rect) -> tuple[int, int, int, int]:
    """Inclusive bounds of source patch centres: patches wholly inside the known rectangle."""
    return (
        known.top + HALF,
        known.top + known.height - 1 - HALF,
        known.left + HALF,
        known.left + known.width - 1 - HALF,
    )


def _targets(shape: tuple[int, ...], known: Rect) -> tuple[np.ndarray, np.ndarray]:
    """Centres of the patches that touch an unknown pixel (every unknown pixel is covered)."""
    h, w = shape[:2]
    inside = np.zeros((h, w), dtype=bool)
    y0, y1, x0, x1 = _source_bounds(known)
    inside[y0 : y1 + 1, x0 : x1 + 1] = True
    valid = np.zeros((h, w), dtype=bool)
    valid[HALF : h - HALF, HALF : w - HALF] = True
    ty, tx = np.nonzero(valid & ~inside)
    return ty.astype(np.int32), tx.astype(np.int32)


def _random_nnf(level: _Level, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    h, w = level.image.shape[:2]
    y0, y1, x0, x1 = _source_bounds(level.known)
    ny = rng.integers(y0, y1 + 1, size=(h, w), dtype=np.int32)
    nx = rng.integers(x0, x1 + 1, size=(h, w), dtype=np.int32)
    return ny, nx


def _upsample_nnf(
    nnf: tuple[np.ndarray, np.ndarray], level: _Level
) -> tuple[np.ndarray, np.ndarray]:
    """Each fine pixel takes its coarse parent's match, scaled, plus its offset in the parent."""
    cy, cx = nnf
    ch, cw = cy.shape
    h, w = level.image.shape[:2]
    ry, rx = h / ch, w / cw
    ys = np.minimum((np.arange(h) / ry).astype(np.int32), ch - 1)
    xs = np.minimum((np.arange(w) / rx).astype(np.int32), cw - 1)
    off_y = np.arange(h) - np.rint(ys * ry).astype(np.int32)
    off_x = np.arange(w) - np.rint(xs * rx).astype(np.int32)
    ny = np.rint(cy[ys[:, None], xs[None, :]] * ry).astype(np.int32) + off_y[:, None]
    nx = np.rint(cx[ys[:, None], xs[None, :]] * rx).astype(np.int32) + off_x[None, :]
    y0, y1, x0, x1 = _source_bounds(level.known)
    return np.clip(ny, y0, y1), np.clip(nx, x0, x1)


def _patches(image: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """N x 147 float32: the 7x7x3 patches centred on (ys, xs)."""
    windows = np.lib.stride_tricks.sliding_window_view(image, (PATCH, PATCH), axis=(0, 1))
    return windows[ys - HALF, xs - HALF].reshape(len(ys), -1)


def _search(
    image: np.ndarray,
    known: Rect,
    nnf: tuple[np.ndarray, np.ndarray],
    rng: np.random.Generator,
    iterations: int,
) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray]:
    """PatchMatch iterations over all target patches at once; returns the NNF and its SSDs."""
    h, w = image.shape[:2]
    y0, y1, x0, x1 = _source_bounds(known)
    src_w = x1 - x0 + 1
    # Every source patch once, as rows: a candidate's patch is then one row gather.
    windows = np.lib.stride_tricks.sliding_window_view(image, (PATCH, PATCH), axis=(0, 1))
    sources = np.ascontiguousarray(
        windows[y0 - HALF : y1 - HALF + 1, x0 - HALF : x1 - HALF + 1]
    ).reshape(-1, 3 * PATCH * PATCH)
    ty, tx = _targets(image.shape, known)
    targets = _patches(image, ty, tx)
    grid_y, grid_x = nnf[0].copy(), nnf[1].copy()
    my, mx = grid_y[ty, tx], grid_x[ty, tx]

    def ssd(cy: np.ndarray, cx: np.ndarray) -> np.ndarray:
        diff = sources[(cy - y0) * src_w + (cx - x0)]
        diff -= targets
        return np.einsum("ij,ij->i", diff, diff)

    dist = ssd(my, mx)

    def offer(cy: np.ndarray, cx: np.ndarray) -> None:
        nonlocal my, mx, dist
        cy = np.clip(cy, y0, y1)
        cx = np.clip(cx, x0, x1)
        d = ssd(cy, cx)
        better = d < dist
        my = np.where(better, cy, my)
        mx = np.where(better, cx, mx)
        dist = np.where(better, d, dist)

    for iteration in range(iterations):
        sign = 1 if iteration % 2 == 0 else -1
        for step in PROPAGATION_STEPS:
            for dy, dx in ((sign * step, 0), (0, sign * step)):
                grid_y[ty, tx], grid_x[ty, tx] = my, mx
                py = np.clip(ty - dy, 0, h - 1)
                px = np.clip(tx - dx, 0, w - 1)
                offer(grid_y[py, px] + (ty - py), grid_x[py, px] + (tx - px))
        radius = max(y1 - y0, x1 - x0)
        while radius >= 1:
            offer(
                my + rng.integers(-radius, radius + 1, size=my.shape, dtype=np.int32),
                mx + rng.integers(-radius, radius + 1, size=mx.shape, dtype=np.int32),
            )
            radius //= 2
    grid_y[ty, tx], grid_x[ty, tx] = my, mx
    full_dist = np.full((h, w), np.inf, dtype=np.float32)
    full_dist[ty, tx] = dist
    return (grid_y, grid_x), full_dist


def _vote(
    image: np.ndarray,
    known: Rect,
    nnf: tuple[np.ndarray, np.ndarray],
    dist: np.ndarray,
) -> np.ndarray:
    """Wexler's voting: each unknown pixel is the similarity-weighted mean of its patches."""
    ty, tx = _targets(image.shape, known)
    sy, sx = nnf[0][ty, tx], nnf[1][ty, tx]
    d = dist[ty, tx].astype(np.float64)
    sigma2 = max(float(np.percentile(d, 75)), 1e-6)
    # Clamp the exponent so a pixel whose patches all match badly still gets a weighted mean
    # instead of 0/0.
    weight = np.exp(-np.minimum(d / (2.0 * sigma2), 50.0)).astype(np.float32)
    acc = np.zeros_like(image)
    total = np.zeros(image.shape[:2], dtype=np.float32)
    weighted = weight[:, None]
    for oy in range(-HALF, HALF + 1):
        for ox in range(-HALF, HALF + 1):
            # For a fixed offset the destinations are distinct pixels, so fancy-index += is exact.
            acc[ty + oy, tx + ox] += weighted * image[sy + oy, sx + ox]
            total[ty + oy, tx + ox] += weight
    unknown = _unknown_mask(image.shape, known)
    out = image.copy()
    out[unknown] = acc[unknown] / np.maximum(total[unknown], 1e-30)[:, None]
    return out
