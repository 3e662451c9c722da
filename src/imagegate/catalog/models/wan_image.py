"""wan/2-7-image and wan/2-7-image-pro: Wan 2.7 Image, text to image or editing of up to 9
input images, single images or a sequential group.

Sources: https://docs.kie.ai/market/wan/2-7-image and https://docs.kie.ai/market/wan/2-7-image-pro
(the OpenAPI bodies of the pages; the two take the same input).

How many images a task makes depends on two fields: ``n`` is 1-4 (default 4) in the standard
mode and 1-12 (default 12) with ``enable_sequential``. ``WanImageSpec`` holds that rule and the
pages' others that no single field can say.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from imagegate.catalog.common import seed_field
from imagegate.catalog.fields import (
    ArrayField,
    BooleanField,
    FieldSpec,
    NumberField,
    ObjectField,
    StringField,
)
from imagegate.catalog.market import (
    aspect_ratio_field,
    choice_field,
    image_urls_field,
    long_sides,
    market_prompt,
    nsfw_checker_field,
)
from imagegate.catalog.pricing import CountRule, PerImage
from imagegate.catalog.rules import not_sent, sent, takes_one_of
from imagegate.catalog.spec import ModelSpec
from imagegate.errors import ValidationFailed

_EXAMPLE_IMAGE = "https://static.aiquickdraw.com/tools/example/1775122744247_eSHwJX1k.jpg"
# The most images ``n`` may ask for, and its default when absent, by mode.
_STANDARD_MAX, _SEQUENTIAL_MAX = 4, 12


class WanImageSpec(ModelSpec):
    """A ModelSpec whose image count and limits depend on the mode (``enable_sequential``)."""

    def validate(self, raw_input: object) -> dict[str, Any]:
        validated = super().validate(raw_input)
        check_wan_rules(validated)
        return validated

    def cross_field_schema(self) -> list[dict[str, Any]]:
        """check_wan_rules as JSON Schema."""
        sequential = sent("enable_sequential", {"const": True})
        defaults = self.defaults()
        standard_count = {"anyOf": [
            not_sent("n"), {"properties": {"n": {"maximum": _STANDARD_MAX}}}, sequential,
        ]}
        four_k = {"anyOf": [
            {"not": takes_one_of("resolution", frozenset({"4K"}), defaults)},
            {"allOf": [{"not": sent("input_urls", {"minItems": 1})}, {"not": sequential}]},
        ]}
        # One box list per image: JSON Schema cannot compare two lengths, so each count the
        # image list may have is an alternative.
        most = self._by_name["input_urls"].json_schema().get("maxItems", 9)
        per_image: list[dict[str, Any]] = [
            {"properties": {"bbox_list": {"maxItems": 0}, "input_urls": {"maxItems": 0}}}
        ]
        per_image += [
            {"required": ["input_urls"], "properties": {
                "bbox_list": {"minItems": count, "maxItems": count},
                "input_urls": {"minItems": count, "maxItems": count},
            }}
            for count in range(1, most + 1)
        ]
        boxes = {"anyOf": [not_sent("bbox_list"), *per_image]}
        return [*super().cross_field_schema(), standard_count, four_k, boxes]

    def count_rule(self) -> CountRule:
        # n when sent, else its mode's most: 12 with enable_sequential, 4 without.
        return CountRule(fields=("n",), absent=_STANDARD_MAX,
                         absent_when=(("enable_sequential", True, _SEQUENTIAL_MAX),))


def check_wan_rules(validated: Mapping[str, Any]) -> None:
    """The pages' rules between fields: ``n`` within its mode's range, 4K for text to image
    in the standard mode only, and one ``bbox_list`` entry per input image."""
    sequential = bool(validated.get("enable_sequential"))
    count = validated.get("n")
    if count is not None and not sequential and count > _STANDARD_MAX:
        raise ValidationFailed(
            "input.n",
            f"must be between 1 and {_STANDARD_MAX} when enable_sequential is false (got {count})",
        )
    images = validated.get("input_urls") or ()
    if validated.get("resolution") == "4K" and (images or sequential):
        raise ValidationFailed(
            "input.resolution",
            "4K is for text to image in the standard mode only (no input_urls, no"
            " enable_sequential)",
        )
    boxes = validated.get("bbox_list")
    if boxes is not None and len(boxes) != len(images):
        raise ValidationFailed(
            "input.bbox_list",
            f"must hold one entry per input_urls image ({len(images)}), got {len(boxes)}",
        )


def _fields() -> tuple[FieldSpec, ...]:
    return (
        market_prompt(
            5000, description="Prompt for image generation or editing, in Chinese or English."
        ),
        image_urls_field(
            "input_urls",
            9,
            required=False,
            min_items=0,
            description="Input images to edit, up to 9; without them the task is text to image.",
        ),
        aspect_ratio_field(
            ("1:1", "16:9", "4:3", "21:9", "3:4", "9:16", "8:1", "1:8"),
            description="Output aspect ratio when no image input is provided.",
        ),
        BooleanField(
            "enable_sequential",
            default=False,
            description="Sequential (group) image mode.",
        ),
        NumberField(
            "n",
            integer=True,
            minimum=1,
            maximum=_SEQUENTIAL_MAX,
            description=(
                "Number of images: 1-4 when enable_sequential is false (default 4), 1-12 when"
                " it is true (default 12)."
            ),
        ),
        choice_field(
            "resolution",
            ("1K", "2K", "4K"),
            default="2K",
            description="Output resolution; 4K only for text to image in the standard mode.",
        ),
        BooleanField(
            "thinking_mode",
            default=False,
            description="Thinking mode, for the standard mode without input images.",
        ),
        ArrayField(
            "color_palette",
            min_items=3,
            max_items=10,
            items=ObjectField(
                "color",
                properties=(
                    StringField(
                        "hex",
                        required=True,
                        pattern="^#[0-9A-Fa-f]{6}$",
                        description="HEX colour value.",
                    ),
                    StringField(
                        "ratio",
                        required=True,
                        pattern=r"^\d{1,3}\.\d{2}%$",
                        description="Colour proportion, as xx.xx%.",
                    ),
                ),
            ),
            description="A custom colour theme of 3-10 colours (8 recommended).",
        ),
        ArrayField(
            "bbox_list",
            items=ArrayField(
                "boxes",
                max_items=2,
                items=ArrayField(
                    "box",
                    min_items=4,
                    max_items=4,
                    items=NumberField("coordinate", integer=True),
                ),
            ),
            description=(
                "Interactive editing areas: per input image, up to 2 boxes of [x1, y1, x2, y2]."
            ),
        ),
        BooleanField("watermark", default=False, description="Whether to add a watermark."),
        seed_field(default=0, description="Random seed, 0-2147483647."),
        nsfw_checker_field(),
    )


def _wan_image(name: str, description: str, credits_milli: int) -> WanImageSpec:
    return WanImageSpec(
        name=name,
        description=description,
        fields=_fields(),
        pricing=PerImage(credits_milli),
        count_field="n",
        size_field="aspect_ratio",
        resolution_field="resolution",
        resolution_long_side=long_sides("1K", "2K", "4K"),
        # The page's request example.
        example={
            "prompt": (
                "Transform the food photo by replacing the marked ingredients with sliced red"
                " chili pieces in the corresponding positions, while keeping the same bowl,"
                " composition, steam, lighting, camera angle, background, texture, and overall"
                " realism."
            ),
            "input_urls": [_EXAMPLE_IMAGE],
            "n": 4,
            "enable_sequential": False,
            "resolution": "2K",
            "thinking_mode": False,
            "watermark": False,
            "seed": 0,
            "bbox_list": [[]],
        },
    )


# Kie's prices per image, whatever the resolution (kie.ai/pricing; the pages give none).
WAN_27_IMAGE = _wan_image(
    "wan/2-7-image", "Wan 2.7 Image: text to image or editing, up to 12 images a task.", 4800
)
WAN_27_IMAGE_PRO = _wan_image(
    "wan/2-7-image-pro", "Wan 2.7 Image Pro: the higher tier of Wan 2.7 Image.", 12000
)
