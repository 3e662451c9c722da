"""bytedance/seedream-v4-text-to-image: Seedream 4.0 text to image (spec 002 and
provider-notes.md)."""

from __future__ import annotations

from imagegate.catalog.common import prompt_field, seed_field
from imagegate.catalog.fields import NumberField, StringField
from imagegate.catalog.market import nsfw_checker_field
from imagegate.catalog.presets import ASPECT_RATIOS, SEEDREAM_IMAGE_SIZE_NAMES
from imagegate.catalog.pricing import PerImage
from imagegate.catalog.spec import ModelSpec

BYTEDANCE_SEEDREAM_V4_TEXT_TO_IMAGE = ModelSpec(
    name="bytedance/seedream-v4-text-to-image",
    description=(
        "ByteDance Seedream 4.0: high-resolution text-to-image (1K/2K/4K) with fine control,"
        " up to 6 images per task."
    ),
    fields=(
        prompt_field(),
        # Spec 002 says "string (aspect ratio)"; the notes name the presets and the default.
        # Both are taken: the presets and the aspect ratios; the default is the notes'.
        StringField(
            "image_size",
            enum=SEEDREAM_IMAGE_SIZE_NAMES + ASPECT_RATIOS,
            default="square_hd",
            description="The size (aspect ratio) of the generated image.",
        ),
        # Spec 002: default 2K; provider-notes.md: 1K. The spec wins.
        StringField(
            "image_resolution",
            enum=("1K", "2K", "4K"),
            default="2K",
            description="Final image resolution: 1K, 2K or 4K.",
        ),
        NumberField(
            "max_images",
            integer=True,
            minimum=1,
            maximum=6,
            default=1,
            description="How many images to generate, 1-6.",
        ),
        seed_field(description="Seed for reproducibility."),
        # Kie's live page (docs.kie.ai/market/seedream/seedream-v4-text-to-image) adds its
        # content filter switch; spec 002 predates it.
        nsfw_checker_field(),
    ),
    # imagegate's default price: 5 credits per image; operators set their own.
    pricing=PerImage(5000),
    count_field="max_images",
    # image_size gives the aspect ratio, image_resolution the long side (imagegate's reading:
    # 1K = 1024, 2K = 2048, 4K = 4096 pixels); square_hd at 2K is 2048x2048.
    resolution_field="image_resolution",
    resolution_long_side={"1K": 1024, "2K": 2048, "4K": 4096},
    # No request example in spec 002; this one is imagegate's.
    example={
        "prompt": "A glass teapot on a wooden table in morning light, photorealistic",
        "image_size": "landscape_16_9",
        "image_resolution": "2K",
        "max_images": 1,
        "seed": 42,
    },
)
