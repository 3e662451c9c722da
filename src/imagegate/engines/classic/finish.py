"""From the search's field to full-resolution pixels, and a seam nobody can see.

The search runs on a reduced canvas; its field says, for each reduced pixel of the new area,
which source position it continues. Every full-resolution pixel copies the full-resolution
source pixel that its four nearest field entries point to, blended by distance: where the field
is coherent (neighbours point to neighbours) all four agree and the copy is exact, so the new
area has the photograph's own sharpness and grain; only where the field jumps does it blend,
over one reduced pixel. The band's low band is then moved towards the predicted layout, its
detail brought to the strength the border has there and to the border's mix of weak and strong
edges, and a smooth correction takes out what step is left at the border.
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from imagegate.engines.classic.band import BandResult
from imagegate.engines.classic.detail import high_pass, strength
from imagegate.engines.classic.guide import edge_guide
from imagegate.engines.classic.layout import layout_fill


def copy_band(result: BandResult, source: np.ndarray, hole: int) -> np.ndarray:
    """The ``hole`` rows above ``source`` (rows x width x C uint8), following ``result``."""
    rows, width, channels = source.shape
    result = _continue_stalls(result)
    sy = result.source_rows / rows  # reduced pixels per full-resolution pixel
    sx = result.width / width
    field_rows = result.ys.shape[0]
    # Each full-resolution pixel's position in the reduced band canvas.
    uy = (np.arange(hole, dtype=np.float32) - hole + 0.5) * sy - 0.5 + result.hole
    ux = (np.arange(width, dtype=np.float32) + 0.5) * sx - 0.5
    y0 = np.clip(np.floor(uy).astype(np.int32), 0, field_rows - 1)
    x0 = np.clip(np.floor(ux).astype(np.int32), 0, result.width - 1)
    y1 = np.minimum(y0 + 1, field_rows - 1)
    x1 = np.minimum(x0 + 1, result.width - 1)
    fy = np.clip(uy - y0, 0.0, 1.0)[:, None]
    fx = np.clip(ux - x0, 0.0, 1.0)[None, :]
    acc = np.zeros((hole, width, channels), np.float32)
    total = np.zeros((hole, width, 1), np.float32)
    for ny, wy in ((y0, 1.0 - fy), (y1, fy)):
        for nx, wx in ((x0, 1.0 - fx), (x1, fx)):
            # Where the neighbour's match puts this pixel, in full-resolution source pixels.
            match_y = result.ys[ny[:, None], nx[None, :]] + (uy[:, None] - ny[:, None])
            match_x = result.xs[ny[:, None], nx[None, :]] + (ux[None, :] - nx[None, :])
            py = np.clip(np.round((match_y + 0.5) / sy - 0.5), 0, rows - 1).astype(np.int32)
            px = np.clip(np.round((match_x + 0.5) / sx - 0.5), 0, width - 1).astype(np.int32)
            weight = (wy * wx).astype(np.float32)[..., None]
            acc += weight * source[py, px]
            total += weight
    band = acc / np.maximum(total, 1e-6)
    band = _anchor_low_frequencies(band, source)
    band = _match_detail(band, source)
    band = _match_sharpness(band, source)
    band = _match_border(band, source)
    return np.clip(np.round(band), 0, 255).astype(np.uint8)


def _continue_stalls(result: BandResult) -> BandResult:
    """The field with every vertical stall turned into a continued copy.

    About 15 % of the search's field entries match exactly what the entry above them matched
    (a stall: the patch costs barely differ in smooth places, and the penalties break the tie
    the same way for both). Copied as is, such a run repeats one source row, a stretched,
    perfectly flat smear; continued (the k-th entry of a run matches k rows further down,
    as a coherent copy does) it brings the photo's own rows and their grain. On the bench
    (``bench/reframe_quality.py``) this took the gradient distance from 0.297 to 0.287 at
    QUALITY, 0.281 to 0.274 at BALANCED and 0.284 to 0.279 at TURBO, for 0.001 of SSIM. The
    same along rows measured worse (0.301 at QUALITY), so rows are left as the search made them.
    """
    ys, xs = result.ys, result.xs
    stalled = (ys[1:] == ys[:-1]) & (xs[1:] == xs[:-1])
    steps = np.concatenate([np.zeros((1, ys.shape[1]), np.int32), stalled.astype(np.int32)])
    count = np.cumsum(steps, axis=0)
    # The count at each run's start, carried down the run, is subtracted: k counts within a run.
    start = np.maximum.accumulate(np.where(steps == 0, count, 0), axis=0)
    continued = np.minimum(ys + (count - start), result.source_rows - 1).astype(ys.dtype)
    return replace(result, ys=continued)


# How much of the band's low frequencies are the predicted layout's (``layout``) rather than
# the copy's own, far from the border; how fast (share of the band's depth) that share is
# reached; and the scale (share of the band's size) below which detail is the copy's own.
# ANCHOR was 1.0. Since the search keeps its detail (``detail.restore_detail``) its own layout
# is nearly as good (error at 1/16 on the bench 21.65 unanchored against 21.29 anchored, the
# best baseline 22.23), and the full anchor laid the layout's along-the-line smear over the
# texture (gradient distance 0.297); at 0.3 BALANCED measures 21.36 and 0.285.
ANCHOR = 0.3
ANCHOR_REACH = 0.1
LOW_SIGMA_SHARE = 0.02


def _anchor_low_frequencies(band: np.ndarray, source: np.ndarray) -> np.ndarray:
    """The band split in two: its layout from the border, its detail from the copy.

    Copied patches bring their own layout with them, a bright sky patch where the border says
    dusk; the photo's border predicts the large-scale field better (``layout``). So the copy's
    low band is replaced by the predicted layout's, and its high band (texture, grain, the
    edges of small things) is kept. Right at the border the copy continues what is there and
    its own low band is kept, handing over to the layout within a fraction of the band.
    """
    hole, width, channels = band.shape
    sigma = max(2.0, LOW_SIGMA_SHARE * max(width, hole))
    # The layout's low band minus the copy's is the low band of their difference (a blur is
    # linear), and below the border both continue into the same source rows, where the
    # difference is zero: one blur, of the difference and a few zero rows, does it. The blur
    # runs on a grid ``factor`` times coarser (what survives it is smooth enough to be
    # interpolated back), and so does the layout: only its low band is used, and predicting it
    # at full resolution was a quarter of a TURBO reframe.
    factor = max(1, int(sigma // 3))
    margin = min(source.shape[0], hole, int(4 * sigma) + 1)
    small_width = max(1, width // factor)
    small_hole = max(1, round(hole / factor))
    small_margin = max(1, round(margin / factor))
    small_source = cv2.resize(
        source.astype(np.float32),
        (small_width, max(1, source.shape[0] // factor)),
        interpolation=cv2.INTER_AREA,
    ).reshape(-1, small_width, channels)
    small_band = cv2.resize(band, (small_width, small_hole), interpolation=cv2.INTER_AREA)
    difference = np.concatenate([
        layout_fill(small_source, small_hole) - small_band.reshape(small_hole, small_width, -1),
        np.zeros((small_margin, small_width, channels), np.float32),
    ])
    blurred = cv2.GaussianBlur(difference, (0, 0), sigma / factor)
    # Back to full resolution at the band's own scale, so the border rows line up.
    rows_back = round((small_hole + small_margin) * hole / small_hole)
    back = cv2.resize(blurred, (width, rows_back), interpolation=cv2.INTER_LINEAR)
    shift = np.asarray(back, np.float32).reshape(rows_back, width, channels)[:hole]
    distance = hole - np.arange(hole, dtype=np.float32)
    weight = ANCHOR * (1.0 - np.exp(-distance / max(4.0, hole * ANCHOR_REACH)))
    anchored: np.ndarray = band + weight[:, None, None] * shift
    return anchored


DETAIL_SIGMA = 1.5  # detail is what a blur of this many pixels removes
DETAIL_WINDOW = 6.0  # local detail energy is averaged over a window of this sigma
DETAIL_FLOOR = 0.0  # the least detail is ever turned down to (a share of the copy's)
DETAIL_CEILING = 1.5  # the most detail is ever turned up to


def _match_detail(band: np.ndarray, source: np.ndarray) -> np.ndarray:
    """Bring the copied detail to the energy the border says the picture has there.

    Noise matching: a patch of fur copied beside a smooth, out-of-focus border looks pasted
    on, and a smooth patch beside grain looks smeared. The detail energy the border has is
    carried into the band the way the guide carries colour (``edge_guide``), and the copy's
    detail is scaled towards it: down as far as needed (a smooth sky gets no grain), up by at
    most ``DETAIL_CEILING`` (more than that would amplify what is mostly noise). On the bench
    the copy had too few strong gradients against the true photos, hence a ceiling above 1.
    """
    hole = band.shape[0]
    context = np.concatenate([band, source[: min(source.shape[0], hole)].astype(np.float32)])
    detail = high_pass(context, DETAIL_SIGMA)
    energy = cv2.GaussianBlur((detail * detail).sum(axis=2), (0, 0), DETAIL_WINDOW)
    band_energy = np.sqrt(energy[:hole]) + 1e-3
    source_energy = np.sqrt(energy[hole:])[..., None]
    expected = edge_guide(source_energy, hole)[..., 0] + 1e-3
    gain = np.clip(expected / band_energy, DETAIL_FLOOR, DETAIL_CEILING)[..., None]
    matched: np.ndarray = band - (1.0 - gain) * detail[:hole]
    return matched


# Sharpness matching: detail is what a blur of SHARP_SIGMA pixels removes, compared with the
# source rows within SHARP_DEPTH of the band's depth of the border (the photo nearest the new
# area, as a viewer compares them), through SHARP_QUANTILES quantiles of its magnitude, read
# from every SHARP_STRIDE-th pixel (the distribution, not every pixel, is needed); no pixel's
# detail grows more than SHARP_CEILING times (one copied speck is not made a spark).
SHARP_SIGMA = 1.0
SHARP_DEPTH = 0.3
SHARP_QUANTILES = 65
SHARP_STRIDE = 3
SHARP_CEILING = 3.0


def _match_sharpness(band: np.ndarray, source: np.ndarray) -> np.ndarray:
    """Give the band's fine detail the distribution of magnitudes the border rows have.

    ``_match_detail`` sets the detail's local strength from a blurred estimate; what it cannot
    do is fix the shape of the distribution: copied pixels blended across the field's seams
    have many weak edges and few strong ones, so the band reads softer than the photo beside
    it. A monotone map of each pixel's detail magnitude (quantile to quantile, as histogram
    matching does) gives the band the border's mix of weak and strong edges without moving any
    edge: the strongest detail in the band stays the strongest.
    """
    hole = band.shape[0]
    depth = min(source.shape[0], max(8, int(hole * SHARP_DEPTH)))
    strip = source[:depth].astype(np.float32)
    band_detail = high_pass(band, SHARP_SIGMA)
    band_size = strength(band_detail)
    strip_size = strength(high_pass(strip, SHARP_SIGMA))
    levels = np.linspace(0.0, 1.0, SHARP_QUANTILES)
    have = np.quantile(band_size[::SHARP_STRIDE, ::SHARP_STRIDE], levels)
    want = np.quantile(strip_size[::SHARP_STRIDE, ::SHARP_STRIDE], levels)
    # Quantiles must rise for interp; ties (a flat band's zeros) are nudged apart.
    have = np.maximum.accumulate(have + levels * 1e-6)
    mapped = np.interp(band_size, have, want)
    gain = np.clip(mapped / np.maximum(band_size, 1e-3), 0.0, SHARP_CEILING)[..., None]
    matched: np.ndarray = band + (gain - 1.0) * band_detail
    return matched


def _match_border(band: np.ndarray, source: np.ndarray) -> np.ndarray:
    """Remove the low-frequency step between the band's last rows and the source's first.

    The difference of the two two-row strips, smoothed along the border (so texture is left
    alone), is added to the band and fades with distance from the border: a membrane that
    takes colour from the source where they meet and leaves the far band as synthesised.
    """
    hole, width = band.shape[:2]
    strip = min(2, hole, source.shape[0])
    step = source[:strip].astype(np.float32).mean(axis=0) - band[hole - strip :].mean(axis=0)
    sigma = max(2.0, width / 256)
    step = cv2.GaussianBlur(step[None], (0, 0), sigma).reshape(width, band.shape[2])
    reach = max(3.0, hole / 6)
    fade = np.exp(-(hole - 1 - np.arange(hole, dtype=np.float32)) / reach)
    corrected: np.ndarray = band + fade[:, None, None] * step[None, :, :]
    return corrected
