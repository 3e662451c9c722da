"""What the patch search compares: perceptual colour features, patch descriptors, a guide.

Patches are compared in CIE Lab (distances there track what people see better than RGB's), each
patch reduced to a few principal components of the source's own patches: one gather of a short
vector per candidate instead of a whole patch, which is what makes a vectorised search fast
enough in NumPy.
"""

from __future__ import annotations

import cv2
import numpy as np


def lab_features(image: np.ndarray) -> np.ndarray:
    """H x W x C uint8 (grey, RGB or RGBA) → float32 features: L (, a, b) (, alpha)."""
    channels = image.shape[2]
    if channels == 1:
        return image.astype(np.float32) * (100.0 / 255.0)
    rgb = image[..., :3].astype(np.float32) * (1.0 / 255.0)
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2Lab)
    if channels == 4:
        # Alpha as one more channel on L's scale: transparent areas extend as transparent.
        alpha = image[..., 3:].astype(np.float32) * (100.0 / 255.0)
        lab = np.concatenate([lab, alpha], axis=2)
    return np.ascontiguousarray(lab)


def patch_basis(
    source: np.ndarray, patch: int, dims: int, rng: np.random.Generator, samples: int = 3000
) -> np.ndarray:
    """``dims`` principal components of the source's patches, as dims x patch x patch x C kernels.

    Pixels are weighted towards the patch centre (a Gaussian), so a descriptor cares most about
    the pixels that voting takes from it.
    """
    height, width, channels = source.shape
    radius = patch // 2
    ys = rng.integers(0, height - 2 * radius, samples)
    xs = rng.integers(0, width - 2 * radius, samples)
    offsets = np.arange(patch)
    rows = (ys[:, None] + offsets[None, :])[:, :, None]
    cols = (xs[:, None] + offsets[None, :])[:, None, :]
    patches = source[rows, cols].reshape(samples, -1)  # samples x (patch*patch*C)
    weight = _centre_weight(patch, channels).reshape(-1)
    weighted = patches * weight
    weighted -= weighted.mean(axis=0)
    covariance = weighted.T @ weighted / samples
    _, vectors = np.linalg.eigh(covariance)
    top = vectors[:, ::-1][:, :dims].T * weight  # fold the weight into the kernels
    return np.ascontiguousarray(top.reshape(dims, patch, patch, channels).astype(np.float32))


def _centre_weight(patch: int, channels: int) -> np.ndarray:
    sigma = patch / 2.5
    axis = np.arange(patch) - patch // 2
    g = np.exp(-(axis[:, None] ** 2 + axis[None, :] ** 2) / (2 * sigma * sigma))
    g = np.sqrt(g / g.max())  # weights on squared differences are g; on values, sqrt(g)
    return np.repeat(g[:, :, None], channels, axis=2).astype(np.float32)


def describe(image: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """Each pixel's patch (centred on it) projected on the basis: H x W x dims float32."""
    dims, _, _, channels = basis.shape
    height, width = image.shape[:2]
    out = np.empty((height, width, dims), np.float32)
    planes = [np.ascontiguousarray(image[..., c]) for c in range(channels)]
    for d in range(dims):
        acc = np.asarray(
            cv2.filter2D(planes[0], -1, basis[d, :, :, 0], borderType=cv2.BORDER_REFLECT),
            np.float32,
        )
        for c in range(1, channels):
            acc += cv2.filter2D(planes[c], -1, basis[d, :, :, c], borderType=cv2.BORDER_REFLECT)
        out[..., d] = acc
    return out
