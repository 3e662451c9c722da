"""How much work each rendering speed buys: the knobs of the patch synthesis in one place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Effort:
    """The synthesis's settings for one rendering speed.

    The patch search runs on a copy of the canvas whose longest side is ``work_side`` (or the
    canvas itself when it is smaller); the full-resolution pixels are then copied along the
    search's offsets, so a smaller search canvas loses layout precision, not sharpness.
    """

    work_side: int  # longest side of the canvas the patch search runs on
    patch: int  # patch width in pixels (odd)
    dims: int  # dimensions of a patch's descriptor (principal components of the source's patches)
    em_coarse: int  # search-and-vote rounds at the coarsest level, where the layout is decided
    em_fine: int  # rounds at each finer level
    sweeps: int  # PatchMatch sweeps (propagation and random search) per round
    min_side: int  # the coarsest level's source is at least this many pixels on its short side


EFFORTS: dict[str, Effort] = {
    "TURBO": Effort(work_side=224, patch=5, dims=8, em_coarse=3, em_fine=1, sweeps=2, min_side=20),
    "BALANCED": Effort(
        work_side=384, patch=7, dims=10, em_coarse=5, em_fine=2, sweeps=3, min_side=24
    ),
    "QUALITY": Effort(
        work_side=640, patch=7, dims=12, em_coarse=8, em_fine=3, sweeps=4, min_side=24
    ),
}


def effort_for(speed: str) -> Effort:
    """The effort of a rendering speed; BALANCED for anything else (it is Ideogram's default)."""
    return EFFORTS.get(speed.upper(), EFFORTS["BALANCED"])
