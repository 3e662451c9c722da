"""qwen2/text-to-image and qwen2/image-edit: Qwen Image 2, aspect ratios in ``image_size``.

Sources: https://docs.kie.ai/market/qwen2/text-to-image and
https://docs.kie.ai/market/qwen2/image-edit (the OpenAPI bodies of the pages). The
text-to-image page's ``model`` enum says ``qwen2/image-edit``, copied from its sibling; its
title, summary and examples say ``qwen2/text-to-image``, the id used here.
"""

from __future__ import annotations

from imagegate.catalog.common import seed_field
from imagegate.catalog.fields import FieldSpec, ImageUrlField
from imagegate.catalog.market import (
    aspect_ratio_field,
    choice_field,
    market_prompt,
    nsfw_checker_field,
)
from imagegate.catalog.pricing import PerImage
from imagegate.catalog.spec import ModelSpec

_EXAMPLE_IMAGE = (
    "https://file.aiquickdraw.com/custom-page/akr/section-images/1755603225969i6j87xnw.jpg"
)
# imagegate's default: 4 credits per image, as Kie's qwen/text-to-image; the pages give none.
_PRICE = PerImage(4000)


def _fields(ratios: tuple[str, ...], *image: FieldSpec) -> tuple[FieldSpec, ...]:
    return (
        market_prompt(800),
        *image,
        aspect_ratio_field(
            ratios,
            name="image_size",
            default="16:9",
            description="The size of the generated image.",
        ),
        seed_field(),
        choice_field(
            "output_format",
            ("jpeg", "png"),
            default="png",
            description="The format of the generated image.",
        ),
        nsfw_checker_field(),
    )


QWEN2_TEXT_TO_IMAGE = ModelSpec(
    name="qwen2/text-to-image",
    description="Generate an image from a text prompt with Qwen Image 2.",
    fields=_fields(("1:1", "3:4", "4:3", "9:16", "16:9")),
    pricing=_PRICE,
    # No usable request example on the page (its model id is the sibling's); imagegate's.
    example={
        "prompt": "A tea house in the mountains at dawn, ink wash painting",
        "image_size": "16:9",
        "output_format": "png",
    },
)

QWEN2_IMAGE_EDIT = ModelSpec(
    name="qwen2/image-edit",
    description="Edit one image following a text prompt with Qwen Image 2.",
    fields=_fields(
        ("1:1", "2:3", "3:2", "3:4", "4:3", "9:16", "16:9", "21:9"),
        ImageUrlField(
            "image_url",
            required=True,
            description=(
                "The URL of the image to edit (Accepted types: image/jpeg, image/png,"
                " image/webp; Max size: 10.0MB)"
            ),
        ),
    ),
    pricing=_PRICE,
    # imagegate's example, with the qwen/image-edit page's example image.
    example={
        "prompt": "Make the sky a warm sunset",
        "image_url": _EXAMPLE_IMAGE,
        "image_size": "4:3",
        "output_format": "png",
    },
)
