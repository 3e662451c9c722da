"""qwen2-1/text-to-image and qwen2-1/image-to-image: Qwen Image 2.1, with transparent output
and, for image to image, a local edit under a mask.

Sources: https://docs.kie.ai/market/qwen2-1/text-to-image and
https://docs.kie.ai/market/qwen2-1/image-to-image (the OpenAPI bodies of the pages).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from imagegate.catalog.common import seed_field
from imagegate.catalog.fields import BooleanField, FieldSpec, ImageUrlField
from imagegate.catalog.market import (
    aspect_ratio_field,
    choice_field,
    image_urls_field,
    long_sides,
    market_prompt,
    nsfw_checker_field,
)
from imagegate.catalog.pricing import PerImageBy
from imagegate.catalog.rules import not_sent, sent, takes_one_of
from imagegate.catalog.spec import ModelSpec
from imagegate.errors import ValidationFailed

_RATIOS = ("1:1", "4:3", "3:4", "3:2", "2:3", "16:9", "9:16", "21:9", "9:21")
_EXAMPLE_IMAGE = "https://static.aiquickdraw.com/tools/example/1764851484363_ScV1s2aq.webp"
# Kie's price: "4 credits per 1K image and 8 credits per 2K image" (the market page
# kie.ai/qwen-image-2.1), text to image and image to image alike.
_PRICE = PerImageBy("resolution", {"1K": 4000, "2K": 8000})


class Qwen21Spec(ModelSpec):
    """A ModelSpec with the pages' rules between fields, which no single field can say."""

    def validate(self, raw_input: object) -> dict[str, Any]:
        validated = super().validate(raw_input)
        check_qwen21_rules(validated)
        return validated

    def cross_field_schema(self) -> list[dict[str, Any]]:
        """check_qwen21_rules as JSON Schema."""
        defaults = self.defaults()
        transparent = takes_one_of("background", frozenset({"transparent"}), defaults)
        jpeg = takes_one_of("output_format", frozenset({"jpeg"}), defaults)
        rules = [*super().cross_field_schema(), {"not": {"allOf": [transparent, jpeg]}}]
        if "mask_url" in self._by_name:  # only the image-to-image model has a mask
            rules.append({"anyOf": [not_sent("mask_url"), {"allOf": [
                sent("image_urls", {"minItems": 1, "maxItems": 1}), {"not": transparent},
            ]}]})
        return rules


def check_qwen21_rules(validated: Mapping[str, Any]) -> None:
    """A transparent background needs PNG or WebP (JPEG has no alpha channel); a mask marks a
    local edit of exactly one image, which cannot be made transparent."""
    transparent = validated.get("background") == "transparent"
    if transparent and validated.get("output_format") == "jpeg":
        raise ValidationFailed(
            "input.output_format", "must be png or webp when background is transparent"
        )
    if validated.get("mask_url") is None:
        return
    if len(validated.get("image_urls") or ()) != 1:
        raise ValidationFailed("input.image_urls", "must hold exactly one URL with mask_url")
    if transparent:
        raise ValidationFailed("input.background", "must be opaque with mask_url")


def _fields(
    *images: FieldSpec, ratios: tuple[str, ...], ratio_default: str
) -> tuple[FieldSpec, ...]:
    return (
        *images,
        market_prompt(5000, min_length=1),
        *(
            (
                ImageUrlField(
                    "mask_url",
                    description=(
                        "A black and white mask, white where the image changes: a local edit of"
                        " the one image in image_urls (same aspect ratio)."
                    ),
                ),
            )
            if images
            else ()
        ),
        aspect_ratio_field(
            ratios,
            default=ratio_default,
            description=(
                "Aspect ratio of the output; 'auto' follows the first image (ignored with"
                " mask_url)."
                if images
                else "Aspect ratio of the output."
            ),
        ),
        choice_field(
            "resolution", ("1K", "2K"), default="1K", description="Output resolution: 1K or 2K."
        ),
        choice_field(
            "background",
            ("opaque", "transparent"),
            default="opaque",
            description="transparent needs output_format png or webp.",
        ),
        choice_field(
            "output_format",
            ("png", "webp", "jpeg"),
            default="png",
            description="The format of the generated image.",
        ),
        BooleanField(
            "enhance_prompt",
            default=True,
            description="Whether Kie rewrites the prompt before generating.",
        ),
        seed_field(),
        nsfw_checker_field(),
    )


QWEN21_TEXT_TO_IMAGE = Qwen21Spec(
    name="qwen2-1/text-to-image",
    description="Qwen Image 2.1 text to image: 1K or 2K, opaque or transparent background.",
    fields=_fields(ratios=_RATIOS, ratio_default="1:1"),
    pricing=_PRICE,
    size_field="aspect_ratio",
    resolution_field="resolution",
    resolution_long_side=long_sides("1K", "2K"),
    # No request example in the stored page; this one is imagegate's.
    example={
        "prompt": "A glass perfume bottle with a gold cap, studio product shot",
        "aspect_ratio": "1:1",
        "resolution": "1K",
        "background": "transparent",
        "output_format": "png",
    },
)

QWEN21_IMAGE_TO_IMAGE = Qwen21Spec(
    name="qwen2-1/image-to-image",
    description=(
        "Qwen Image 2.1 image to image: combine up to 10 images, or edit one under a mask."
    ),
    fields=_fields(
        image_urls_field(
            "image_urls",
            10,
            max_megabytes=30,
            description=(
                "1-10 input images, read in the array's order (Accepted types: image/jpeg,"
                " image/png, image/webp; Max size: 30MB each)"
            ),
        ),
        ratios=("auto", *_RATIOS),
        ratio_default="auto",
    ),
    pricing=_PRICE,
    size_field="aspect_ratio",
    resolution_field="resolution",
    resolution_long_side=long_sides("1K", "2K"),
    # No request example in the stored page; this one is imagegate's.
    example={
        "image_urls": [_EXAMPLE_IMAGE],
        "prompt": "Make the dress deep blue velvet",
        "aspect_ratio": "auto",
        "resolution": "1K",
    },
)
