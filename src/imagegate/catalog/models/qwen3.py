"""Qwen Image 3 and Qwen Image 3 Pro, each as text to image and image to image.

Sources (the OpenAPI bodies of the pages): https://docs.kie.ai/market/qwen3/text-to-image,
https://docs.kie.ai/market/qwen3/image-to-image,
https://docs.kie.ai/market/qwen3-pro/text-to-image and
https://docs.kie.ai/market/qwen3-pro/image-to-image. The Pro ids are ``qwen3/pro-...`` where
the pages' paths say ``qwen3-pro/``. The two tiers take the same input.
"""

from __future__ import annotations

from imagegate.catalog.common import seed_field
from imagegate.catalog.fields import NO_DEFAULT, BooleanField, FieldSpec, StringField
from imagegate.catalog.market import (
    aspect_ratio_field,
    choice_field,
    image_urls_field,
    long_sides,
    market_prompt,
)
from imagegate.catalog.pricing import PerImage, PerImageBy, Pricing
from imagegate.catalog.spec import ModelSpec

_RATIOS = ("1:1", "3:2", "2:3", "4:3", "3:4", "16:9", "9:16", "21:9")
_EXAMPLE_IMAGE = "https://static.aiquickdraw.com/tools/example/1764851484363_ScV1s2aq.webp"

# Kie's prices (kie.ai/pricing and the market pages; the docs pages give none): Qwen 3 4.8
# credits per image at 1K and 2K; Pro 6.4 at 1K, 12 at 2K. The pages also charge 0.5 credits
# per input image, which imagegate's per-output-image pricing does not add.
_QWEN3_PRICE = PerImage(4800)
# The text-to-image pages give resolution no default; Kie's is 1K, as the image-to-image
# pages say, so an absent resolution is priced (and sized) as 1K.
_PRO_PRICE = PerImageBy("resolution", {"1K": 6400, "2K": 12000}, absent="1K")


def _qwen3(name: str, description: str, pricing: Pricing, *, edit: bool) -> ModelSpec:
    """One Qwen 3 model; image to image adds ``image_urls`` and a 1K default resolution."""
    images: tuple[FieldSpec, ...] = (
        (
            image_urls_field(
                "image_urls",
                3,
                accepted_types=(
                    "image/jpeg",
                    "image/png",
                    "image/webp",
                    "image/bmp",
                    "image/gif",
                    "image/tiff",
                ),
            ),
        )
        if edit
        else ()
    )
    example: dict[str, object] = {"prompt": "A koi pond in autumn, a red bridge over it"}
    if edit:
        example.update(
            prompt="Put the model in a rainy street at night", image_urls=[_EXAMPLE_IMAGE]
        )
    example.update(resolution="1K", image_size="16:9", output_format="png")
    return ModelSpec(
        name=name,
        description=description,
        fields=(
            market_prompt(5000, description="The prompt, in Chinese or English."),
            *images,
            choice_field(
                "resolution",
                ("1K", "2K"),
                default="1K" if edit else NO_DEFAULT,
                description="Output resolution: 1K or 2K.",
            ),
            aspect_ratio_field(
                _RATIOS,
                name="image_size",
                default="16:9",
                description="Aspect ratio of the output.",
            ),
            choice_field(
                "output_format",
                ("png", "jpeg"),
                default="png",
                description="The format of the generated image.",
            ),
            BooleanField(
                "prompt_extend",
                default=True,
                description="Whether the prompt is rewritten and enriched before generating.",
            ),
            BooleanField(
                "nsfw_checker",
                default=False,
                description="Kie's content filter: true turns it on.",
            ),
            StringField(
                "negative_prompt", max_length=5000, description="What to keep out of the image."
            ),
            seed_field(default=1, description="Random seed, 0-2147483647."),
        ),
        pricing=pricing,
        resolution_field="resolution",
        resolution_long_side=long_sides("1K", "2K"),
        # No request example in the stored pages; imagegate's.
        example=example,
    )


QWEN3_TEXT_TO_IMAGE = _qwen3(
    "qwen3/text-to-image", "Qwen Image 3 text to image, 1K or 2K.", _QWEN3_PRICE, edit=False
)
QWEN3_IMAGE_TO_IMAGE = _qwen3(
    "qwen3/image-to-image",
    "Qwen Image 3 image to image: up to 3 reference images.",
    _QWEN3_PRICE,
    edit=True,
)
QWEN3_PRO_TEXT_TO_IMAGE = _qwen3(
    "qwen3/pro-text-to-image", "Qwen Image 3 Pro text to image, 1K or 2K.", _PRO_PRICE, edit=False
)
QWEN3_PRO_IMAGE_TO_IMAGE = _qwen3(
    "qwen3/pro-image-to-image",
    "Qwen Image 3 Pro image to image: up to 3 reference images.",
    _PRO_PRICE,
    edit=True,
)
