"""The reframe quality bench's own parts: the large-scale error and the mirror baseline.

bench/ is no package; its ``reframe`` package is put on the path as the script itself finds it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

from reframe.baselines import mirror, new_area  # noqa: E402
from reframe.metrics import block_means, large_scale_error  # noqa: E402
from reframe.photos import Box  # noqa: E402


def test_large_scale_error_is_the_block_means_difference_over_whole_new_blocks() -> None:
    # A 64 x 48 canvas whose source box starts at row 20: rows 0-19 are new, so only the
    # first row of 16 x 16 blocks lies wholly in the new area (rows 16-19 share a block with
    # the source and must not count).
    truth = np.full((48, 64, 3), 100, np.uint8)
    result = truth.copy()
    result[:16] = 130  # every whole new block is 30 too bright
    result[16:20] = 0  # a wild error in the partial block: it must not count
    box = Box(left=0, top=20, width=64, height=28)
    mask = new_area((64, 48), box)
    assert large_scale_error(result, truth, mask) == pytest.approx(30.0)


def test_large_scale_error_is_blind_to_texture_with_the_right_block_means() -> None:
    truth = np.full((32, 32, 3), 128, np.uint8)
    checker = (np.indices((32, 32)).sum(axis=0) % 2).astype(np.uint8)
    textured = np.repeat((98 + 60 * checker)[..., None], 3, axis=2).astype(np.uint8)
    mask = np.ones((32, 32), bool)
    assert large_scale_error(textured, truth, mask) == pytest.approx(0.0)
    assert block_means(textured).shape == (2, 2, 3)


def test_large_scale_error_refuses_a_new_area_with_no_whole_block() -> None:
    image = np.zeros((32, 32, 3), np.uint8)
    mask = np.zeros((32, 32), bool)
    mask[:8] = True
    with pytest.raises(ValueError, match="no 16x16 block"):
        large_scale_error(image, image, mask)


def test_mirror_reflects_the_crop_about_its_edges() -> None:
    crop = np.arange(4 * 5 * 3, dtype=np.uint8).reshape(4, 5, 3)
    box = Box(left=0, top=2, width=5, height=4)
    canvas = mirror(crop, (5, 8), box)
    assert np.array_equal(canvas[2:6], crop)
    # Row 1 mirrors row 1 of the crop about its first row (which is not repeated).
    assert np.array_equal(canvas[1], crop[1])
    assert np.array_equal(canvas[0], crop[2])
    assert np.array_equal(canvas[6], crop[2])
