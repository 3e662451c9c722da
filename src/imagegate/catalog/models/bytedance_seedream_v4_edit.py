"""bytedance/seedream-v4-edit: Seedream 4.0 edit, up to 10 input images.

Source: https://docs.kie.ai/market/seedream/seedream-v4-edit (the OpenAPI body of the page).
Its fields are those of Seedream 4.0 text to image plus ``image_urls``; the page's
``image_resolution`` defaults to 1K (spec 002's text-to-image model keeps its own 2K).
"""

from __future__ import annotations

from imagegate.catalog.common import seed_field
from imagegate.catalog.fields import NumberField, StringField
from imagegate.catalog.market import (
    image_urls_field,
    long_sides,
    market_prompt,
    nsfw_checker_field,
)
from imagegate.catalog.presets import SEEDREAM_IMAGE_SIZE_NAMES
from imagegate.catalog.pricing import PerImage
from imagegate.catalog.spec import ModelSpec

_EXAMPLE_IMAGE = "https://static.aiquickdraw.com/tools/example/1764851484363_ScV1s2aq.webp"

BYTEDANCE_SEEDREAM_V4_EDIT = ModelSpec(
    name="bytedance/seedream-v4-edit",
    description=(
        "ByteDance Seedream 4.0 edit: change or combine up to 10 input images following a"
        " prompt, 1K/2K/4K, up to 6 images per task."
    ),
    fields=(
        market_prompt(5000, description="The text prompt used to edit the image."),
        image_urls_field(
            "image_urls",
            10,
            description=(
                "List of URLs of input images for editing, up to 10 (Accepted types:"
                " image/jpeg, image/png, image/webp; Max size: 10MB each)"
            ),
        ),
        StringField(
            "image_size",
            enum=SEEDREAM_IMAGE_SIZE_NAMES,
            default="square_hd",
            description="The size (aspect ratio) of the generated image.",
        ),
        StringField(
            "image_resolution",
            enum=("1K", "2K", "4K"),
            default="1K",
            description=(
                "Final image resolution, with image_size (aspect ratio) giving the pixel scale:"
                " 1K, 2K or 4K."
            ),
        ),
        NumberField(
            "max_images",
            integer=True,
            minimum=1,
            maximum=6,
            default=1,
            description="How many images one run may produce, 1-6.",
        ),
        seed_field(description="Random seed to control the stochasticity of image generation."),
        nsfw_checker_field(),
    ),
    # imagegate's default: 5 credits per image, Kie's price of Seedream 4.0 text to image
    # (kie.ai/pricing); the edit page gives none of its own.
    pricing=PerImage(5000),
    count_field="max_images",
    resolution_field="image_resolution",
    resolution_long_side=long_sides("1K", "2K", "4K"),
    # No request example in the stored page; this one is imagegate's, with the Seedream pages'
    # own example image.
    example={
        "prompt": "Turn the dress into clear flowing water, keep the pose",
        "image_urls": [_EXAMPLE_IMAGE],
        "image_size": "portrait_4_3",
        "image_resolution": "1K",
        "max_images": 1,
        "nsfw_checker": False,
    },
)
