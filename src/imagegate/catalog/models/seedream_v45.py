"""seedream/4.5-text-to-image and seedream/4.5-edit: Seedream 4.5, 2K or 4K by ``quality``.

Sources: https://docs.kie.ai/market/seedream/4-5-text-to-image and
https://docs.kie.ai/market/seedream/4-5-edit (the OpenAPI bodies of the pages).
"""

from __future__ import annotations

from imagegate.catalog.fields import FieldSpec
from imagegate.catalog.market import (
    SEEDREAM_RATIOS,
    aspect_ratio_field,
    choice_field,
    image_urls_field,
    market_prompt,
    nsfw_checker_field,
)
from imagegate.catalog.pricing import PerImage
from imagegate.catalog.spec import ModelSpec

# The pages' own example prompt and image.
_T2I_PROMPT = (
    "A full-process cafe design tool for entrepreneurs and designers. It covers core needs"
    " including store layout, functional zoning, decoration style, equipment selection, and"
    ' customer group adaptation, supporting integrated planning of "commercial attributes +'
    ' aesthetic design." Suitable as a promotional image for a cafe design SaaS product, with a'
    " 16:9 aspect ratio."
)
_EDIT_PROMPT = (
    "Keep the model's pose and the flowing shape of the liquid dress unchanged. Change the"
    " clothing material from silver metal to completely transparent clear water (or glass)."
    " Through the liquid water, the model's skin details are visible. Lighting changes from"
    " reflection to refraction."
)
_EXAMPLE_IMAGE = "https://static.aiquickdraw.com/tools/example/1764851484363_ScV1s2aq.webp"

# "Basic outputs 2K images, while High outputs 4K images."
_QUALITY_LONG_SIDE = {"basic": 2048, "high": 4096}
# Kie's price: 6.5 credits per image whatever the quality (kie.ai/pricing; the pages give
# none). The edit is priced as the text-to-image model.
_PRICE = PerImage(6500)


def _fields(*images: FieldSpec) -> tuple[FieldSpec, ...]:
    return (
        market_prompt(3000),
        *images,
        aspect_ratio_field(SEEDREAM_RATIOS, default="1:1", required=True),
        choice_field(
            "quality",
            ("basic", "high"),
            default="basic",
            required=True,
            description="Basic outputs 2K images, while High outputs 4K images.",
        ),
        nsfw_checker_field(),
    )


SEEDREAM_45_TEXT_TO_IMAGE = ModelSpec(
    name="seedream/4.5-text-to-image",
    description="Seedream 4.5 text to image: 2K or 4K, strong small-text rendering.",
    fields=_fields(),
    pricing=_PRICE,
    size_field="aspect_ratio",
    resolution_field="quality",
    resolution_long_side=_QUALITY_LONG_SIDE,
    example={"prompt": _T2I_PROMPT, "aspect_ratio": "1:1", "quality": "basic"},
)

SEEDREAM_45_EDIT = ModelSpec(
    name="seedream/4.5-edit",
    description="Seedream 4.5 edit: change or combine up to 14 input images following a prompt.",
    fields=_fields(image_urls_field("image_urls", 14)),
    pricing=_PRICE,
    size_field="aspect_ratio",
    resolution_field="quality",
    resolution_long_side=_QUALITY_LONG_SIDE,
    example={
        "prompt": _EDIT_PROMPT,
        "image_urls": [_EXAMPLE_IMAGE],
        "aspect_ratio": "1:1",
        "quality": "basic",
    },
)
