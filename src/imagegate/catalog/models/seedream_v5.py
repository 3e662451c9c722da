"""Seedream 5.0: Lite, Pro and Flash, each as text to image and image to image.

Sources (the OpenAPI bodies of the pages):
https://docs.kie.ai/market/seedream/5-lite-text-to-image,
https://docs.kie.ai/market/seedream-5-lite-image-to-image (outside seedream/, as Kie files it),
https://docs.kie.ai/market/seedream/5-pro-text-to-image,
https://docs.kie.ai/market/seedream/5-pro-image-to-image,
https://docs.kie.ai/market/seedream/5-flash-text-to-image and
https://docs.kie.ai/market/seedream/5-flash-image-to-image.

The tiers name their sizes differently: Lite's ``quality`` basic/high/ultra is 2K/3K/4K, Pro's
basic/high is 1K/2K, Flash takes ``size`` 1K/1.5K/2K.
"""

from __future__ import annotations

from collections.abc import Mapping

from imagegate.catalog.fields import NO_DEFAULT, FieldSpec, StringField
from imagegate.catalog.market import (
    SEEDREAM_RATIOS,
    aspect_ratio_field,
    choice_field,
    image_urls_field,
    long_sides,
    market_prompt,
    nsfw_checker_field,
)
from imagegate.catalog.pricing import PerImage, PerImageBy, Pricing
from imagegate.catalog.spec import ModelSpec

# The pages' own example prompts and image.
_T2I_PROMPT = (
    "A full-process cafe design tool for entrepreneurs and designers. It covers core needs"
    " including store layout, functional zoning, decoration style, equipment selection, and"
    ' customer group adaptation, supporting integrated planning of "commercial attributes +'
    ' aesthetic design." Suitable as a promotional image for a cafe design SaaS product, with a'
    " 16:9 aspect ratio."
)
_I2I_PROMPT = (
    "Keep the model's pose and the flowing shape of the liquid dress unchanged. Change the"
    " clothing material from silver metal to completely transparent clear water (or glass)."
    " Through the liquid water, the model's skin details are visible. Lighting changes from"
    " reflection to refraction."
)
_EXAMPLE_IMAGE = "https://static.aiquickdraw.com/tools/example/1764851484363_ScV1s2aq.webp"

_OUTPUT_FORMAT = ("png", "jpeg")


def _seedream5(
    name: str,
    description: str,
    *,
    prompt: StringField,
    tier: StringField,
    long_side: Mapping[str, int],
    pricing: Pricing,
    images: tuple[FieldSpec, ...] = (),
    defaults: object = "png",
) -> ModelSpec:
    """One Seedream 5.0 model: the pages share every field but the prompt, the tier and the
    input images. ``defaults`` is output_format's default ("png", with aspect_ratio's 1:1);
    the Flash pages give neither field a default (``NO_DEFAULT``)."""
    example: dict[str, object] = {"prompt": _I2I_PROMPT if images else _T2I_PROMPT}
    if images:
        example["image_urls"] = [_EXAMPLE_IMAGE]
    example.update({"aspect_ratio": "1:1", tier.name: tier.default, "output_format": "png"})
    example["nsfw_checker"] = False
    return ModelSpec(
        name=name,
        description=description,
        fields=(
            prompt,
            *images,
            aspect_ratio_field(
                SEEDREAM_RATIOS,
                default=NO_DEFAULT if defaults is NO_DEFAULT else "1:1",
                required=True,
            ),
            tier,
            choice_field(
                "output_format",
                _OUTPUT_FORMAT,
                default=defaults,
                description="Format of the output image.",
            ),
            nsfw_checker_field(),
        ),
        pricing=pricing,
        size_field="aspect_ratio",
        resolution_field=tier.name,
        resolution_long_side=long_side,
        # The pages' request example (Flash's: imagegate's, in the same words).
        example=example,
    )


def _quality(choices: tuple[str, ...], description: str) -> StringField:
    return choice_field("quality", choices, default="basic", required=True, description=description)


_LITE_QUALITY = _quality(
    ("basic", "high", "ultra"),
    "Basic outputs 2K images, while High outputs 3K images, and Ultra outputs 4K images.",
)
_LITE_LONG_SIDE = {"basic": 2048, "high": 3072, "ultra": 4096}
# Kie's price: 5.5 credits per image at every quality (kie.ai/pricing; the pages give none).
_LITE_PRICE = PerImage(5500)

_PRO_QUALITY = _quality(("basic", "high"), "Basic outputs 1K images, while High outputs 2K images.")
_PRO_LONG_SIDE = {"basic": 1024, "high": 2048}
# Kie's price: 7 credits per image at basic (the page's own callback example reports
# creditsConsumed 7), 14 at high (kie.ai/pricing).
_PRO_PRICE = PerImageBy("quality", {"basic": 7000, "high": 14000})

# Flash names the tier ``size``, with 1K as its default.
_FLASH_SIZE = choice_field(
    "size", ("1K", "1.5K", "2K"), default="1K", description="Output resolution tier."
)
# Kie's price: "1K and 2K images are priced the same: 3.24 credits per image" (the market
# page kie.ai/seedream-5-0-flash), text to image and image to image alike.
_FLASH_PRICE = PerImage(3240)

SEEDREAM_5_LITE_TEXT_TO_IMAGE = _seedream5(
    "seedream/5-lite-text-to-image",
    "Seedream 5.0 Lite text to image: 2K, 3K or 4K.",
    prompt=market_prompt(3000, min_length=3),
    tier=_LITE_QUALITY,
    long_side=_LITE_LONG_SIDE,
    pricing=_LITE_PRICE,
)
SEEDREAM_5_LITE_IMAGE_TO_IMAGE = _seedream5(
    "seedream/5-lite-image-to-image",
    "Seedream 5.0 Lite image to image: edit or combine up to 14 input images.",
    prompt=market_prompt(3000, min_length=3),
    tier=_LITE_QUALITY,
    long_side=_LITE_LONG_SIDE,
    pricing=_LITE_PRICE,
    images=(image_urls_field("image_urls", 14),),
)
SEEDREAM_5_PRO_TEXT_TO_IMAGE = _seedream5(
    "seedream/5-pro-text-to-image",
    "Seedream 5.0 Pro text to image: 1K or 2K.",
    prompt=market_prompt(5000, min_length=3),
    tier=_PRO_QUALITY,
    long_side=_PRO_LONG_SIDE,
    pricing=_PRO_PRICE,
)
SEEDREAM_5_PRO_IMAGE_TO_IMAGE = _seedream5(
    "seedream/5-pro-image-to-image",
    "Seedream 5.0 Pro image to image: edit or combine up to 10 input images.",
    prompt=market_prompt(5000, min_length=3),
    tier=_PRO_QUALITY,
    long_side=_PRO_LONG_SIDE,
    pricing=_PRO_PRICE,
    images=(image_urls_field("image_urls", 10),),
)
SEEDREAM_5_FLASH_TEXT_TO_IMAGE = _seedream5(
    "seedream/5-flash-text-to-image",
    "Seedream 5.0 Flash text to image: the fast tier, 1K to 2K at one price.",
    prompt=market_prompt(5000),
    tier=_FLASH_SIZE,
    long_side=long_sides("1K", "1.5K", "2K"),
    pricing=_FLASH_PRICE,
    # Absent output_format stays absent (the mock engine then writes PNG).
    defaults=NO_DEFAULT,
)
SEEDREAM_5_FLASH_IMAGE_TO_IMAGE = _seedream5(
    "seedream/5-flash-image-to-image",
    "Seedream 5.0 Flash image to image: edit or combine up to 10 input images.",
    prompt=market_prompt(5000),
    tier=_FLASH_SIZE,
    long_side=long_sides("1K", "1.5K", "2K"),
    pricing=_FLASH_PRICE,
    images=(image_urls_field("image_urls", 10, accepted_types=("image/jpeg", "image/png")),),
    defaults=NO_DEFAULT,
)
