"""nano-banana-pro: 3K/4K images with reference images, on the v2 jobs API (spec 002)."""

from __future__ import annotations

from imagegate.catalog.common import prompt_field
from imagegate.catalog.fields import ImageUrlListField, StringField
from imagegate.catalog.pricing import PerImageBy
from imagegate.catalog.spec import ModelSpec

NANO_BANANA_PRO = ModelSpec(
    name="nano-banana-pro",
    description=(
        "Nano Banana Pro: sharper 3K images, intelligent 4K scaling, improved text rendering"
        " and enhanced character consistency. Created through POST /api/v2/jobs/createTask."
    ),
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
)
