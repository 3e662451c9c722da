"""The named image-size presets of the Kie catalog and the pixels each stands for."""

from __future__ import annotations

import re
from typing import Final

# (width, height). Kie names the presets without saying their pixels; these are DESIGN.md's
# reading, and the order is the order the specs list them in (enums and messages keep it).
IMAGE_SIZE_PRESETS: Final[dict[str, tuple[int, int]]] = {
    "square": (512, 512),
    "square_hd": (1024, 1024),
    "portrait_4_3": (768, 1024),
    "portrait_16_9": (576, 1024),
    "landscape_4_3": (1024, 768),
    "landscape_16_9": (1024, 576),
}

IMAGE_SIZE_NAMES: Final[tuple[str, ...]] = tuple(IMAGE_SIZE_PRESETS)

# Seedream 4.0's presets beyond the six (provider-notes.md). Kie gives no pixels for them
# either; these are imagegate's reading, in the six's manner: 1024 on the long side, the short
# side rounded to a multiple of 8 (3:2 -> 682.7 -> 680, 21:9 -> 438.9 -> 440).
EXTRA_IMAGE_SIZE_PRESETS: Final[dict[str, tuple[int, int]]] = {
    "portrait_3_2": (680, 1024),
    "landscape_3_2": (1024, 680),
    "landscape_21_9": (1024, 440),
}

# Seedream's enum in the notes' order: the six and the three above, interleaved.
SEEDREAM_IMAGE_SIZE_NAMES: Final[tuple[str, ...]] = (
    "square",
    "square_hd",
    "portrait_4_3",
    "portrait_3_2",
    "portrait_16_9",
    "landscape_4_3",
    "landscape_3_2",
    "landscape_16_9",
    "landscape_21_9",
)

# The aspect ratios Kie's models take where spec 002 says an ``image_size`` is "string (aspect
# ratio)" (Seedream 4.0, Ideogram V3, Ideogram Character): the ratios Kie's own pages list for
# its image models (google/nano-banana's set, "auto" aside), taken beside the named presets.
ASPECT_RATIOS: Final[tuple[str, ...]] = (
    "1:1", "9:16", "16:9", "3:4", "4:3", "3:2", "2:3", "5:4", "4:5", "21:9",
)

# Ideogram v3's 69 output resolutions (provider-notes.md), "WIDTHxHEIGHT". Ideogram's own reframe
# endpoint takes one of these; engines that reframe accept them next to the named presets.
_IDEOGRAM_V3_RESOLUTIONS_TEXT = """
    512x1536 576x1408 576x1472 576x1536 640x1344 640x1408 640x1472 640x1536 704x1152 704x1216
    704x1280 704x1344 704x1408 704x1472 736x1312 768x1088 768x1216 768x1280 768x1344 800x1280
    832x960 832x1024 832x1088 832x1152 832x1216 832x1248 864x1152 896x960 896x1024 896x1088
    896x1120 896x1152 960x832 960x896 960x1024 960x1088 1024x832 1024x896 1024x960 1024x1024
    1088x768 1088x832 1088x896 1088x960 1120x896 1152x704 1152x832 1152x864 1152x896 1216x704
    1216x768 1216x832 1248x832 1280x704 1280x768 1280x800 1312x736 1344x640 1344x704 1344x768
    1408x576 1408x640 1408x704 1472x576 1472x640 1472x704 1536x512 1536x576 1536x640
"""
IDEOGRAM_V3_RESOLUTIONS: Final[tuple[str, ...]] = tuple(_IDEOGRAM_V3_RESOLUTIONS_TEXT.split())


def pixel_size(value: str) -> tuple[int, int] | None:
    """(width, height) for a named preset or an Ideogram v3 resolution; None otherwise."""
    if value in IMAGE_SIZE_PRESETS:
        return IMAGE_SIZE_PRESETS[value]
    if value in IDEOGRAM_V3_RESOLUTIONS:
        width, height = value.split("x")
        return int(width), int(height)
    return None


# Aspect ratios ("16:9") stand for this many pixels on the long side (imagegate's reading; the
# specs give ratios only). "auto" has no pixels of its own: the engine decides (the mock
# engine takes the first input image's size, else 1024x1024).
RATIO_LONG_SIDE: Final = 1024
_RATIO = re.compile(r"([1-9][0-9]?):([1-9][0-9]?)")


def round8(number: float) -> int:
    """The nearest multiple of 8 (at least 8): image models work in blocks of 8 pixels."""
    return max(8, int(number / 8 + 0.5) * 8)


def scale_to_long_side(size: tuple[int, int], long_side: int) -> tuple[int, int]:
    """``size`` scaled so its long side is ``long_side``, the short side a multiple of 8."""
    width, height = size
    if width >= height:
        return long_side, round8(long_side * height / width)
    return round8(long_side * width / height), long_side


def ratio_size(value: str, long_side: int = RATIO_LONG_SIDE) -> tuple[int, int] | None:
    """(width, height) for "W:H" with ``long_side`` pixels on the long side; None otherwise."""
    match = _RATIO.fullmatch(value)
    if match is None:
        return None
    return scale_to_long_side((int(match[1]), int(match[2])), long_side)


def output_pixels(value: str) -> tuple[int, int] | None:
    """(width, height) for any image size a model takes: a named preset, an Ideogram v3
    resolution, one of Seedream's extra presets or an aspect ratio; None for "auto" and anything
    else."""
    return pixel_size(value) or EXTRA_IMAGE_SIZE_PRESETS.get(value) or ratio_size(value)
