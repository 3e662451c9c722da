"""Every method the harness runs, by name: the classic engine at its three speeds, then the
baselines (``baselines``), all with the same signature."""

from __future__ import annotations

import numpy as np

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


CLASSIC: dict[str, Method] = {f"classic-{speed}": _classic(speed) for speed in SPEEDS}
METHODS: dict[str, Method] = {**CLASSIC, **BASELINES}
