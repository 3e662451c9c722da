"""The classic engine's synthesis on arrays: placement, the patch search, the guide, the clone
guard, the time budget and progress.

These look inside the fill (the engine-level tests only look at what any fill must give):
a search that finds known matches, a guide that starts from the border, and a salient object
that is not stamped into the new area.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from skimage import data

from imagegate.engines.classic.caps import capped_rows, regions
from imagegate.engines.classic.geometry import place
from imagegate.engines.classic.guide import border_profile, edge_guide
from imagegate.engines.classic.patchmatch import Bounds, Field, improve
from imagegate.engines.classic.reframe import reframe_array, scale_source


@pytest.mark.parametrize(
    ("source", "canvas", "expected"),
    [
        ((768, 512), (1024, 1024), (0, 170, 1024, 683)),  # bands above and below
        ((768, 768), (1024, 576), (224, 0, 576, 576)),  # bands left and right
        ((1000, 999), (512, 512), (0, 0, 512, 512)),  # within a pixel: stretched, no band
        ((16, 9), (1024, 576), (0, 0, 1024, 576)),  # same aspect: scaled up only
    ],
)
def test_place_scales_to_fit_and_centres(
    source: tuple[int, int], canvas: tuple[int, int], expected: tuple[int, int, int, int]
) -> None:
    where = place(*source, *canvas)
    assert (where.left, where.top, where.inner_width, where.inner_height) == expected
    # The source always spans the canvas one way, so the new area is two bands.
    assert where.inner_width == canvas[0] or where.inner_height == canvas[1]


def test_patchmatch_finds_a_known_translation() -> None:
    """The target is the source shifted by (7, 11): the search should find that offset for
    nearly every pixel, starting from random matches."""
    rng = np.random.default_rng(0)
    source = rng.random((64, 80)).astype(np.float32)
    target = source[7:47, 11:71]  # target pixel (y, x) is source pixel (y + 7, x + 11)
    radius = 2
    bounds = Bounds(radius, 63 - radius, radius, 79 - radius)
    padded = np.pad(target, radius, mode="reflect")

    def cost_of(ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
        total = np.zeros(ys.shape, np.float32)
        for dy in range(-radius, radius + 1):
            for dx in range(-radius, radius + 1):
                window = padded[radius + dy : radius + dy + 40, radius + dx : radius + dx + 60]
                total += (window - source[ys + dy, xs + dx]) ** 2
        return total

    ys, xs = bounds.random((40, 60), rng)
    field = Field(ys, xs, cost_of(ys, xs))
    before = float(field.cost.mean())
    improve(field, cost_of, bounds, rng, sweeps=3)
    assert float(field.cost.mean()) < before
    assert bounds.inside(field.ys, field.xs).all()
    inner = (slice(radius, 40 - radius), slice(radius, 60 - radius))  # patches off the edge
    found = (field.ys[inner] - np.arange(40)[:, None][inner[0]] == 7) & (
        field.xs[inner] - np.arange(60)[None, :][:, inner[1]] == 11
    )
    assert found.mean() > 0.95


def test_guide_starts_at_the_border_and_smooths_with_distance() -> None:
    rng = np.random.default_rng(1)
    source = rng.random((40, 200, 3)).astype(np.float32) * 100
    guide = edge_guide(source, 60)
    assert guide.shape == (60, 200, 3)
    profile = border_profile(source)
    near, far = guide[-1], guide[0]
    # Next to the border the guide is the border (lightly blurred); far away, much smoother.
    assert np.abs(near - profile).mean() < np.abs(far - profile).mean()
    assert np.diff(far, axis=0).std() < np.diff(near, axis=0).std() / 3


def test_a_salient_object_is_not_cloned_into_the_new_area() -> None:
    """A red disc in the middle of a grass photograph: the new area shows grass, not discs."""
    grass = np.repeat(data.grass()[:256, :384, None], 3, axis=2)  # greyscale texture as RGB
    image = np.ascontiguousarray(grass)
    yy, xx = np.mgrid[:256, :384]
    disc = (yy - 128) ** 2 + (xx - 192) ** 2 < 40**2
    image[disc] = (220, 30, 30)
    out = reframe_array(image, (384, 512), speed="BALANCED", seed=3)
    where = place(384, 256, 384, 512)
    new_area = np.ones((512, 384), bool)
    new_area[where.top : where.top + where.inner_height] = False
    red = (out[..., 0] > 150) & (out[..., 1] < 90)
    # The disc covers 16 % of the source; a clone would put thousands of red pixels outside.
    assert red[new_area].mean() < 0.005


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_every_channel_count_keeps_the_source(channels: int) -> None:
    rgb = data.astronaut()[::2, ::2]  # 256 x 256
    image = {1: rgb[..., :1], 3: rgb, 4: np.dstack([rgb, np.full(rgb.shape[:2], 200, np.uint8)])}
    source = np.ascontiguousarray(image[channels][64:192])  # 256 x 128: bands above and below
    out = reframe_array(source, (256, 256), speed="TURBO", seed=0)
    assert out.shape == (256, 256, channels)
    assert np.array_equal(out[64:192], source)


def test_same_seed_same_fill_other_seed_other_fill() -> None:
    source = np.ascontiguousarray(data.chelsea()[:, 100:340])
    a = reframe_array(source, (480, 300), speed="TURBO", seed=5)
    b = reframe_array(source, (480, 300), speed="TURBO", seed=5)
    c = reframe_array(source, (480, 300), speed="TURBO", seed=6)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_progress_rises_to_one_and_a_passed_deadline_still_gives_an_image() -> None:
    source = np.ascontiguousarray(data.coffee()[:, 150:450])
    seen: list[float] = []
    reframe_array(source, (600, 400), speed="BALANCED", seed=0, progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == pytest.approx(1.0)
    started, cpu = time.monotonic(), time.process_time()
    out = reframe_array(source, (600, 400), speed="QUALITY", seed=0, deadline=started)
    # One round per band at the coarsest level, then the finish: far below QUALITY's full run.
    # Held in CPU seconds, so that other processes loading the machine cannot fail it.
    assert out.shape == (400, 600, 3)
    assert time.process_time() - cpu < 2.0


def test_a_narrow_region_at_the_border_closes_and_the_background_closes_over_it() -> None:
    """A 20-pixel red stretch in 200 pixels of grey: its colour carries a short way out
    (a compact thing cut by the frame), then the grey beside it takes over."""
    profile = np.full((200, 3), 50.0, np.float32)
    profile[90:110] = (90.0, 60.0, 40.0)
    assert (90, 110) in regions(profile)
    rows = capped_rows(profile, np.array([1.0, 5.0, 40.0], np.float32))
    assert np.allclose(rows[0, 100], (90.0, 60.0, 40.0))  # next to the border: still red
    assert np.allclose(rows[2, 100], 50.0)  # well beyond its cap: the background's grey
    assert np.allclose(rows[:, 20], 50.0)  # the background itself never closes


def test_a_banner_too_thin_to_take_patches_from_is_extended_smoothly() -> None:
    """2000 x 20 onto a square: the scaled source is 10 pixels tall, thinner than a patch at
    the search's scale; the bands are the border's smooth extension, the source is kept."""
    rng = np.random.default_rng(2)
    banner = rng.integers(0, 255, (20, 2000, 3), dtype=np.uint8)
    out = reframe_array(banner, (1024, 1024), speed="BALANCED", seed=0)
    where = place(2000, 20, 1024, 1024)
    assert out.shape == (1024, 1024, 3) and where.inner_height == 10
    kept = out[where.top : where.top + where.inner_height]
    assert np.array_equal(kept, scale_source(banner, where))
    # Smooth: neighbouring rows far from the banner differ by little.
    assert np.abs(np.diff(out[:100].astype(np.int16), axis=0)).mean() < 2
