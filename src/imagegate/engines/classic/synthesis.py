"""PLACEHOLDER while the patch synthesis is written: replicates the edge. Not the engine."""

from __future__ import annotations

import numpy as np

from imagegate.engines.classic.geometry import Placement


def extend(inner: np.ndarray, placement: Placement, *, speed: str, seed: int,
           progress: object, deadline: float | None) -> np.ndarray:
    top, left = placement.top, placement.left
    pads = ((top, placement.height - top - placement.inner_height),
            (left, placement.width - left - placement.inner_width), (0, 0))
    return np.pad(inner, pads, mode="edge")
