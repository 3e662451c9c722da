"""nano-banana-pro: Google's Nano Banana Pro (Gemini 3 Pro Image), in two spellings.

- Spec 002: ``POST /api/v2/jobs/createTask`` with ``input_prompt``, ``input_image_input`` (up to
  4), ``input_aspect_ratio``, ``input_resolution`` sd/hd/4k, ``input_output_format``.
- Kie's live page (https://docs.kie.ai/market/google/pro-image-to-image), which its clients
  send today through ``POST /api/v1/jobs/createTask``: ``prompt`` (at most 10000 characters),
  ``image_input`` (up to 8), ``aspect_ratio`` (with ``auto``), ``resolution`` 1K/2K/4K and
  ``output_format`` png/jpg.

Both spellings are taken on v1 and v2 (``ModelSpec.other_spelling``); each is exact to its
document, and ``param`` echoes the request as sent.
"""

from __future__ import annotations

from imagegate.catalog.common import K_RESOLUTION_LONG_SIDE, prompt_field
from imagegate.catalog.fields import ImageUrlListField, StringField
from imagegate.catalog.pricing import PerImageBy
from imagegate.catalog.spec import ModelSpec

NAME = "nano-banana-pro"
_MB = 1024 * 1024
_DESCRIPTION = (
    "Nano Banana Pro: sharper 3K images, intelligent 4K scaling, improved text rendering and"
    " enhanced character consistency. Takes spec 002's input_* names and Kie's live names."
)

# Kie's live spelling (its page, read 2026-12): Kie charges 18 credits an image at 1K and 2K,
# 24 at 4K; imagegate's default prices are those.
LIVE_SPELLING = ModelSpec(
    name=NAME,
    description=_DESCRIPTION,
    fields=(
        prompt_field(max_length=10000, description="A text description of the image."),
        ImageUrlListField(
            "image_input",
            max_items=8,
            max_bytes=30 * _MB,
            accepted_types=("image/jpeg", "image/png", "image/webp"),
            description="Images to transform or use as reference (up to 8; JPEG/PNG/WebP,"
            " at most 30MB each)",
        ),
        StringField(
            "aspect_ratio",
            enum=("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9",
                  "auto"),
            default="1:1",
            description="Aspect ratio of the generated image",
        ),
        StringField(
            "resolution",
            enum=("1K", "2K", "4K"),
            default="1K",
            description="Resolution of the generated image",
        ),
        StringField(
            "output_format",
            enum=("png", "jpg"),
            default="png",
            description="Format of the output image",
        ),
    ),
    pricing=PerImageBy("resolution", {"1K": 18000, "2K": 18000, "4K": 24000}),
    size_field="aspect_ratio",
    resolution_field="resolution",
    resolution_long_side=K_RESOLUTION_LONG_SIDE,
    # The live page's request example, its long prompt shortened.
    example={
        "prompt": "Comic poster: cool banana hero in shades leaps from sci-fi pad",
        "image_input": [],
        "aspect_ratio": "1:1",
        "resolution": "1K",
        "output_format": "png",
    },
)

NANO_BANANA_PRO = ModelSpec(
    name=NAME,
    description=_DESCRIPTION,
    fields=(
        # Spec 002 gives no length limit for this prompt (the notes defer to spec 002).
        prompt_field(name="input_prompt", max_length=None, description="Image description"),
        ImageUrlListField(
            "input_image_input",
            max_items=4,
            accepted_types=("image/png", "image/jpeg", "image/gif", "image/webp"),
            description="Reference image URLs (up to 4 images, PNG/JPEG/GIF/WebP, max 10MB)",
        ),
        StringField(
            "input_aspect_ratio",
            enum=("1:1", "3:2", "2:3", "4:3", "3:4", "16:9", "9:16", "21:9", "9:21"),
            default="1:1",
            description="Output aspect ratio",
        ),
        StringField(
            "input_resolution",
            enum=("sd", "hd", "4k"),
            default="hd",
            description="Output resolution (sd/hd/4k)",
        ),
        StringField(
            "input_output_format",
            enum=("jpg", "png", "webp"),
            default="webp",
            description="Output format (jpg/png/webp)",
        ),
    ),
    # imagegate's default prices per image: spec 002's $0.04 (768px) and $0.11 (1024px) at
    # Kie's $0.005 a credit are 8 and 22 credits, read as sd and hd; 4k (unpriced) 30 credits.
    # Operators set their own.
    pricing=PerImageBy("input_resolution", {"sd": 8000, "hd": 22000, "4k": 30000}),
    size_field="input_aspect_ratio",
    format_field="input_output_format",
    # Pixels on the long side: sd 768 and hd 1024 as spec 002's pricing line names them; 4k
    # 4096. imagegate's reading: the spec gives no pixels per value.
    resolution_field="input_resolution",
    resolution_long_side={"sd": 768, "hd": 1024, "4k": 4096},
    # Spec 002's request example (its input).
    example={
        "input_prompt": "cinematic poster cool banana hero in shades leaps from sci-fi pod",
        "input_resolution": "hd",
        "input_output_format": "png",
    },
    other_spelling=LIVE_SPELLING,
)
