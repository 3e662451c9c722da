"""z-image: Z-Image text to image.

Source: https://docs.kie.ai/market/z-image/z-image (the OpenAPI body of the page).
"""

from __future__ import annotations

from imagegate.catalog.market import aspect_ratio_field, market_prompt, nsfw_checker_field
from imagegate.catalog.pricing import PerImage
from imagegate.catalog.spec import ModelSpec

Z_IMAGE = ModelSpec(
    name="z-image",
    description="Z-Image: fast photorealistic text to image.",
    fields=(
        market_prompt(1000),
        aspect_ratio_field(
            ("1:1", "4:3", "3:4", "16:9", "9:16"),
            default="1:1",
            required=True,
            description="Aspect ratio of the generated image.",
        ),
        nsfw_checker_field(),
    ),
    # Kie's price: 0.8 credits per image (kie.ai/pricing; the page gives none).
    pricing=PerImage(800),
    size_field="aspect_ratio",
    # The page's request example.
    example={
        "prompt": (
            "Generate a photorealistic image of a cafe terrace in the Marais district of Paris"
            " on a Wednesday morning in March 2025. It is a crisp, cool spring morning with"
            " clear skies. Locals are drinking coffee. In sharp focus should be a young woman"
            " with a pixie cut wearing a scarf, stirring a cappuccino and looking thoughtfully"
            " to the side; the waiter and street traffic behind her are blurred. The photo"
            " should have the candid, natural morning light feel of an iPhone image."
        ),
        "aspect_ratio": "1:1",
        "nsfw_checker": True,
    },
)
