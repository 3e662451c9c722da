"""The named image-size presets of the Kie catalog and the pixels each stands for."""

from __future__ import annotations

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
