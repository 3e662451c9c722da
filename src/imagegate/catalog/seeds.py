"""Seeds: the one range every surface takes (``SEED_MIN``..``SEED_MAX``), and the seed of each
output image of a multi-image task (how the engines derive it, and what the Ideogram answers
report for each image).

The range is 0..2147483647 (31 bits) everywhere: the jobs API's ``seed`` of every model, the
per-model endpoints and Ideogram's reframe forms. It is the one the documents give: Ideogram's
API reference (spec 003: "seed integer 0-2147483647"), Kie's pages that state a range at all
(Qwen Image 3 and Wan 2.7 Image: "0-2147483647"), and the seeds the Ideogram answers report.
Specs 000, 001, 002 and 004 say only "number" or "integer", which this range fits; no page of
the catalog gives another range or a value meaning "random" (leave ``seed`` out for that).
docs/decisions.md records the choice.
"""

from __future__ import annotations

import hashlib

SEED_MIN = 0
SEED_MAX = 2**31 - 1
_SEED_MODULUS = SEED_MAX + 1


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
