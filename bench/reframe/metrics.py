"""The four measures, each computed over the synthesised area only (the canvas minus the box
the source was placed in), comparing the method's result with the true photo.

None of them alone says "looks right": a reframe has no single correct answer, and each
measure rewards something different and misses something else, which is why there are four.

- **SSIM** (higher is better, 1 = identical). ``skimage.metrics.structural_similarity`` on
  grayscale float images (data range 1, 7x7 uniform windows), ``full=True``, and the mean of
  the SSIM map over the synthesised pixels. Rewards reproducing what was actually there: local
  brightness, contrast and structure in the right place. It catches wrong layout (the wrong
  thing continued across the seam, a bright patch where the truth is dark) and seam
  discontinuities. Caveat: it compares pixel for pixel, so a plausible texture that is not
  the true one scores about as badly as a wrong one, and a smooth blur of the right mean
  colour often scores *better* than a sharp, plausible texture; do not read it alone.
- **Gradient-statistics distance** (lower is better; 0 = same statistics, 2 = disjoint). The L1
  distance between the normalised joint histograms, result vs truth, of gradient orientation
  (8 bins over 0-180 degrees, sign ignored) and gradient magnitude (8 log-spaced bins: below
  1/512 "flat", then doubling up to >= 1/8 of the grey range per pixel; Sobel 3x3 on
  grayscale, divided by 8 so a magnitude is a per-pixel slope). Flat pixels have no
  meaningful orientation, so they are spread evenly over the orientation bins. It does not care
  where things are, only whether the fill has the truth's kind of texture: it catches **blur**
  (mass moves to the flat and weak-gradient bins) and **smeared streaks** (edge replication,
  diffusion along one direction: the orientations pile into one or two bins), and
  over-sharpening or noise (mass in the strong bins the truth lacks).
- **Colour-histogram distance in Lab** (lower is better; 0 = same, 1 = disjoint). The
  chi-square distance ``0.5 * sum((p - q)^2 / (p + q))`` between the normalised 3D histograms
  (8 x 8 x 8 bins: L* over 0-100, a* and b* over -64..64 with anything further out in the end
  bins) of result and truth. It catches colour casts, colours copied from the wrong part of the
  photo (a red suit continued into a grey wall) and the loss of a colour the truth has, while
  being blind to where colours are and to texture.
- **Large-scale error** (lower is better; 0-255). The mean absolute difference, over RGB, of
  result and truth after both are shrunk 16 times by area averaging (the mean of each 16 x 16
  block, blocks aligned to the canvas's top-left corner), over the blocks that lie wholly in
  the synthesised area. What a viewer sees from across the room: where the sky is, where the
  ground is, how bright each side is. Blind to texture (a 16-pixel block's mean is the same
  for a sharp texture and its blur), so it catches exactly what the gradient and colour
  measures cannot: convincing texture in the wrong large-scale place.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from skimage.metrics import structural_similarity

ORIENTATION_BINS = 8
# Magnitude bin edges in grey-range units per pixel: [0, 2^-9) is "flat", then one bin per
# doubling, and everything from 2^-3 (32 grey levels a pixel: a real edge) up in the last.
MAGNITUDE_EDGES = np.array([2.0**-k for k in range(9, 2, -1)], dtype=np.float32)
LAB_BINS = 8
LAB_AB_RANGE = 64.0
# The large-scale error compares BLOCK x BLOCK means: 1/16 scale.
BLOCK = 16


@dataclass(frozen=True, slots=True)
class Scores:
    ssim: float
    gradient: float
    colour: float
    large: float


MEASURES = (
    ("ssim", "SSIM", True),  # (attribute, title, higher is better)
    ("gradient", "Gradient-statistics distance", False),
    ("colour", "Lab colour-histogram distance", False),
    ("large", "Large-scale error (MAE at 1/16)", False),
)


def _gray(image: np.ndarray) -> np.ndarray:
    """Float32 luma in 0-1 (OpenCV's Rec. 601 weights); the same for every method and truth."""
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0


def ssim(result: np.ndarray, truth: np.ndarray, mask: np.ndarray) -> float:
    _, ssim_map = structural_similarity(
        _gray(result).astype(np.float64),
        _gray(truth).astype(np.float64),
        data_range=1.0,
        full=True,
    )
    return float(ssim_map[mask].mean())


def gradient_histogram(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The normalised 8 (magnitude) x 8 (orientation) histogram over ``mask``."""
    gray = _gray(image)
    gx = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3)[mask] / 8.0
    gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3)[mask] / 8.0
    magnitude = np.hypot(gx, gy)
    orientation = np.mod(np.arctan2(gy, gx), np.pi)
    m_bin = np.searchsorted(MAGNITUDE_EDGES, magnitude, side="right")
    o_bin = np.minimum(
        (orientation / np.pi * ORIENTATION_BINS).astype(np.int64), ORIENTATION_BINS - 1
    )
    counts = np.bincount(
        m_bin * ORIENTATION_BINS + o_bin, minlength=(len(MAGNITUDE_EDGES) + 1) * ORIENTATION_BINS
    )
    hist = counts.reshape(len(MAGNITUDE_EDGES) + 1, ORIENTATION_BINS).astype(np.float64)
    hist[0, :] = hist[0].sum() / ORIENTATION_BINS  # a flat pixel's orientation is noise
    return hist / hist.sum()


def gradient_distance(result: np.ndarray, truth: np.ndarray, mask: np.ndarray) -> float:
    return float(np.abs(gradient_histogram(result, mask) - gradient_histogram(truth, mask)).sum())


def lab_histogram(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    lab = cv2.cvtColor(image.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)[mask]
    lightness = np.clip(lab[:, 0] / 100.0 * LAB_BINS, 0, LAB_BINS - 1).astype(np.int64)
    ab = np.clip((lab[:, 1:] + LAB_AB_RANGE) / (2 * LAB_AB_RANGE) * LAB_BINS, 0, LAB_BINS - 1)
    ab = ab.astype(np.int64)
    index = (lightness * LAB_BINS + ab[:, 0]) * LAB_BINS + ab[:, 1]
    counts = np.bincount(index, minlength=LAB_BINS**3).astype(np.float64)
    return counts / counts.sum()


def colour_distance(result: np.ndarray, truth: np.ndarray, mask: np.ndarray) -> float:
    p, q = lab_histogram(result, mask), lab_histogram(truth, mask)
    total = p + q
    used = total > 0
    return float(0.5 * ((p[used] - q[used]) ** 2 / total[used]).sum())


def block_means(image: np.ndarray, block: int = BLOCK) -> np.ndarray:
    """``image`` shrunk ``block`` times by area averaging: the mean of each whole block (a
    remainder narrower than a block at the right or bottom edge is left out)."""
    rows, cols = image.shape[0] // block, image.shape[1] // block
    whole = image[: rows * block, : cols * block].astype(np.float64)
    shape = (rows, block, cols, block, *image.shape[2:])
    means: np.ndarray = whole.reshape(shape).mean(axis=(1, 3))
    return means


def large_scale_error(
    result: np.ndarray, truth: np.ndarray, mask: np.ndarray, block: int = BLOCK
) -> float:
    """Mean absolute difference (0-255) of the ``block``-times shrunk images over the blocks
    wholly inside ``mask``; a block that holds source pixels would flatter every method."""
    inside = block_means(mask.astype(np.float64), block) == 1.0
    if not inside.any():
        raise ValueError(f"no {block}x{block} block lies wholly in the synthesised area")
    difference = np.abs(block_means(result, block) - block_means(truth, block))
    return float(difference[inside].mean())


def score(result: np.ndarray, truth: np.ndarray, mask: np.ndarray) -> Scores:
    if result.shape != truth.shape or result.dtype != np.uint8:
        raise ValueError(f"result is {result.shape} {result.dtype}, truth {truth.shape} uint8")
    return Scores(
        ssim=ssim(result, truth, mask),
        gradient=gradient_distance(result, truth, mask),
        colour=colour_distance(result, truth, mask),
        large=large_scale_error(result, truth, mask),
    )
