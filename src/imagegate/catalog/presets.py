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
