"""The predicted layout of a new band (``layout``): what the border says the large-scale field
is, with lines that cross the border continued at their angle, and the whole engine keeping a
horizon where it was."""

from __future__ import annotations

import numpy as np

from imagegate.engines.classic.geometry import place
from imagegate.engines.classic.layout import layout_fill, line_slopes
from imagegate.engines.classic.reframe import reframe_array, scale_source


def test_a_ramp_along_the_border_is_carried_out_unchanged() -> None:
    # Brightness rising left to right, the same in every row: every column keeps its value.
    ramp = np.linspace(20, 230, 300, dtype=np.float32)
    source = np.repeat(np.repeat(ramp[None, :, None], 80, axis=0), 3, axis=2).astype(np.uint8)
    fill = layout_fill(source, 60)
    assert fill.shape == (60, 300, 3)
    middle = slice(60, 240)  # away from the ends, where a blur has only one side to average
    assert np.abs(fill[:, middle, 0] - source[0, middle, 0].astype(np.float32)).max() < 2.0


def test_a_line_crossing_the_border_is_continued_at_its_angle() -> None:
    # A bright line on grey leaving the source at 45 degrees, going up and to the left.
    source = np.full((100, 240, 3), 60, np.uint8)
    for row in range(100):
        source[row, 120 + row - 2 : 120 + row + 3] = 240
    hole = 40
    fill = layout_fill(source, hole)
    far_row = fill[0, :, 0]  # 40 rows out: the line should be near column 120 - 40 = 80
    peak = int(np.argmax(far_row))
    assert abs(peak - 80) <= 12, peak
    # Carried straight out (no angle) it would still be at column 120.
    assert far_row[80] > far_row[120] + 20
    slopes = line_slopes(source)
    assert 0.6 < slopes[120] <= 1.5


def test_texture_without_a_direction_is_carried_straight_out() -> None:
    rng = np.random.default_rng(4)
    source = rng.integers(0, 256, (60, 200, 3), dtype=np.uint8)
    assert np.abs(line_slopes(source)).max() < 0.2


def test_a_horizon_crossing_the_border_continues_and_the_source_stays_exact() -> None:
    # Bright textured sky over dark textured ground, reframed wider: the new bands on the left
    # and right must keep sky above the horizon and ground below it.
    rng = np.random.default_rng(5)
    height, width, horizon = 240, 240, 100
    image = np.empty((height, width, 3), np.uint8)
    image[:horizon] = np.clip(rng.normal(200, 12, (horizon, width, 3)), 0, 255)
    image[horizon:] = np.clip(rng.normal(60, 12, (height - horizon, width, 3)), 0, 255)
    out = reframe_array(image, (400, 240), speed="TURBO", seed=1)
    where = place(width, height, 400, 240)
    inside = out[:, where.left : where.left + where.inner_width]
    assert np.array_equal(inside, scale_source(image, where))
    bands = np.concatenate([out[:, : where.left], out[:, where.left + where.inner_width :]], 1)
    grey = bands.astype(np.float32).mean(axis=2)
    sky, ground = grey[: horizon - 8].mean(axis=1), grey[horizon + 8 :].mean(axis=1)
    assert sky.min() > 150 and ground.max() < 110
