"""Detail: what a Gaussian blur takes out of an image, the unit the engine's sharpness steps
work in (the search's wash-out guard, ``band._restore_detail``; the finish's detail and
sharpness matches, ``finish``): each measures the detail of the fill and of the border rows the
same way and scales the fill's."""

from __future__ import annotations

import cv2
import numpy as np


def high_pass(image: np.ndarray, sigma: float) -> np.ndarray:
    """``image`` (rows x width x C float32) minus its Gaussian blur of ``sigma`` pixels."""
    blurred = cv2.GaussianBlur(image, (0, 0), sigma).reshape(image.shape)
    detail: np.ndarray = image - blurred
    return detail


def strength(detail: np.ndarray) -> np.ndarray:
    """Per pixel, the length of ``detail``'s colour vector (rows x width)."""
    size: np.ndarray = np.sqrt(np.square(detail).sum(axis=2))
    return size
