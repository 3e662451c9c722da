"""Every method the harness runs, by name: the classic engine at its three speeds, then the
baselines (``baselines``), all with the same signature; and ``classic-layout-only``, the
engine's predicted layout with no texture at all (neither a speed nor a baseline: it shows what
the texture costs and buys on each measure)."""

from __future__ import annotations

import numpy as np

from imagegate.engines.classic.layout import layout_fill
from imagegate.engines.classic.reframe import reframe_array
from reframe.baselines import BASELINES, Method
from reframe.photos import Box

SPEEDS = ("TURBO", "BALANCED", "QUALITY")


def _classic(speed: str) -> Method:
    def run(crop: np.ndarray, size: tuple[int, int], box: Box, seed: int = 0) -> np.ndarray:
        # The engine is given only what a user gives it, the image and the canvas size; where
        # it puts the image is its own business (photos.load_cases checked it matches the box).
        return reframe_array(crop, size, speed=speed, seed=seed)

    return run


def layout_only(crop: np.ndarray, size: tuple[int, int], box: Box, seed: int = 0) -> np.ndarray:
    """The crop with both bands filled by ``layout_fill`` alone, as the engine's bands are:
    rows above the source, the band below as the band above the source turned upside down."""
    rows_mode = box.width == size[0]
    source = crop if rows_mode else crop.transpose(1, 0, 2)
    before = box.top if rows_mode else box.left
    after = (size[1] if rows_mode else size[0]) - before - source.shape[0]
    top = layout_fill(source, before)
    bottom = layout_fill(source[::-1], after)[::-1]
    canvas = np.concatenate([top, source.astype(np.float32), bottom])
    canvas = canvas if rows_mode else canvas.transpose(1, 0, 2)
    return np.ascontiguousarray(np.clip(np.rint(canvas), 0, 255).astype(np.uint8))


CLASSIC: dict[str, Method] = {f"classic-{speed}": _classic(speed) for speed in SPEEDS}
EXTRA: dict[str, Method] = {"classic-layout-only": layout_only}
METHODS: dict[str, Method] = {**CLASSIC, **BASELINES, **EXTRA}
