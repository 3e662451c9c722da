"""Real photographs as input files, and the check that a reframe kept the source's pixels.

Shared by every test depth (``tests/`` is on ``sys.path`` because it holds the root conftest).
Assertions hold for any correct fill: they look only at the rectangle the source occupies.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image
from skimage import data

from imagegate.engines.classic.codec import decode
from imagegate.engines.classic.geometry import Placement, place
from imagegate.engines.classic.reframe import scale_source


def photo_file(array: np.ndarray | None = None, fmt: str = "PNG", **options: object) -> bytes:
    """``array`` (skimage's coffee, 600x400, by default) as a ``fmt`` file."""
    buffer = io.BytesIO()
    Image.fromarray(data.coffee() if array is None else array).save(buffer, fmt, **options)
    return buffer.getvalue()


def pixels(blob: bytes) -> np.ndarray:
    """An output file's pixels as H x W x C."""
    array = np.asarray(Image.open(io.BytesIO(blob)))
    return array[..., None] if array.ndim == 2 else array


def placement_of(source: bytes, size: tuple[int, int]) -> Placement:
    decoded = decode(source, size)
    return place(decoded.shape[1], decoded.shape[0], *size)


def assert_source_kept(output: bytes, source: bytes, size: tuple[int, int]) -> None:
    """The output's source rectangle is, pixel for pixel, the source scaled as the engine
    scales it (the same decode, the same filter)."""
    canvas = pixels(output)
    assert (canvas.shape[1], canvas.shape[0]) == size
    decoded = decode(source, size)
    where = place(decoded.shape[1], decoded.shape[0], *size)
    expected = scale_source(decoded, where)
    region = canvas[
        where.top : where.top + where.inner_height, where.left : where.left + where.inner_width
    ]
    assert region.shape == expected.shape
    assert np.array_equal(region, expected), "the source's pixels were changed"
