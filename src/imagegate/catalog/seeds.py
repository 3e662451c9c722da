"""The seed of each output image of a multi-image task: how the engines derive it, and what the
Ideogram answers report for each image."""

from __future__ import annotations

import hashlib

# Seeds are 31-bit, as the Ideogram surface shows them.
_SEED_MODULUS = 2**31


def image_seed(seed: int, index: int) -> int:
    """The seed of output image ``index`` (0..2**31-1).

    Image 0 uses the task's seed itself, so a one-image task gives exactly what
    ``reframe_array(..., seed=seed)`` gives; the others hash (seed, index), so each image of a
    batch is a different fill and the same task always gives the same batch.
    """
    if index == 0:
        return seed % _SEED_MODULUS
    digest = hashlib.sha256(f"imagegate-classic:{seed}:{index}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % _SEED_MODULUS
