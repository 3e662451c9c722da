"""gpt-image-2-text-to-image and gpt-image-2-image-to-image: OpenAI's GPT Image 2 on Kie's
jobs API, at 1K, 2K or 4K, with the pages' rules on which aspect ratio each resolution takes.

Sources: https://docs.kie.ai/market/gpt/gpt-image-2-text-to-image and
https://docs.kie.ai/market/gpt/gpt-image-2-image-to-image. Neither page states a price; the
prices here are imagegate's defaults.
"""

from __future__ import annotations

from imagegate.catalog.common import K_RESOLUTION_LONG_SIDE, prompt_field
from imagegate.catalog.fields import ImageUrlListField, StringField
from imagegate.catalog.pricing import PerImageBy
from imagegate.catalog.rules import NotTogether
from imagegate.catalog.spec import ModelSpec

# The pages' enum, in their order.
GPT_IMAGE_2_RATIOS = (
    "auto", "1:1", "3:2", "2:3", "4:3", "3:4", "5:4", "4:5", "16:9", "9:16", "2:1", "1:2",
    "3:1", "1:3", "21:9", "9:21",
)  # fmt: skip
_HIGH = frozenset({"2K", "4K"})


def _prompt(description: str) -> StringField:
    # Text to image: "minLength: 1, maxLength: 20000"; image to image states the 20,000 in
    # prose only. One limit for both.
    return prompt_field(max_length=20000, min_length=1, description=description)


def _aspect_ratio(description: str) -> StringField:
    # The pages give no default in the schema but say "set to auto by default".
    return StringField(
        "aspect_ratio", enum=GPT_IMAGE_2_RATIOS, default="auto", description=description
    )


def _resolution() -> StringField:
    # No default: left out, the image is 1K (the pages: without an aspect ratio, or with
    # "auto", "will only be converted to 1K images").
    return StringField(
        "resolution",
        enum=("1K", "2K", "4K"),
        description=(
            "Image resolution: Note: Images with a 1:1 aspect ratio cannot be converted to 4K"
            ' images. Images with the aspect ratio set to "auto" or without a specified aspect'
            " ratio parameter will only be converted to 1K images; otherwise, the task will"
            " fail to create."
        ),
    )


# Both pages' resolution note: 1:1 is never 4K, and "auto" is 1K only.
_RESOLUTION_RULES = (
    NotTogether("resolution", frozenset({"4K"}), "aspect_ratio", frozenset({"1:1"})),
    NotTogether("resolution", _HIGH, "aspect_ratio", frozenset({"auto"})),
)

# imagegate's default prices per image by resolution (6 / 10 / 16 credits, of the shape
# clients report for Kie's market price); a request without a resolution is a 1K image.
# Kie's pages give no price.
_PRICE = PerImageBy("resolution", {"1K": 6000, "2K": 10000, "4K": 16000}, absent="1K")

GPT_IMAGE_2_TEXT_TO_IMAGE = ModelSpec(
    name="gpt-image-2-text-to-image",
    description="OpenAI GPT Image 2: text to image at 1K, 2K or 4K in sixteen aspect ratios.",
    fields=(
        _prompt("Text prompt. Required, maximum 20,000 characters."),
        _aspect_ratio(
            "The aspect ratio of the generated image is set to auto by default. Note: for 2K"
            " resolution, the following aspect ratios are not supported: 5:4, 4:5, 3:1, 1:3,"
            " and 9:21. for 4K resolution, the following aspect ratios are not supported: 3:1,"
            " 1:3, and 9:21."
        ),
        _resolution(),
        StringField(
            "background",
            enum=("transparent", "opaque", "auto"),
            description=(
                "Image background. Note: This parameter is only supported when the resolution"
                " is 1K."
            ),
        ),
    ),
    pricing=_PRICE,
    size_field="aspect_ratio",
    resolution_field="resolution",
    resolution_long_side=K_RESOLUTION_LONG_SIDE,
    rules=(
        NotTogether(
            "aspect_ratio",
            frozenset({"5:4", "4:5", "3:1", "1:3", "9:21"}),
            "resolution",
            frozenset({"2K"}),
        ),
        NotTogether(
            "aspect_ratio", frozenset({"3:1", "1:3", "9:21"}), "resolution", frozenset({"4K"})
        ),
        *_RESOLUTION_RULES,
        NotTogether(
            "background", frozenset({"transparent", "opaque", "auto"}), "resolution", _HIGH
        ),
    ),
    # The page's request example (its input).
    example={
        "prompt": "A cinematic night city poster with neon reflections on a rainy street.",
        "aspect_ratio": "auto",
    },
)

_I2I_IMAGE = "https://static.aiquickdraw.com/tools/example/1776782793756_wrogXTdd.png"

GPT_IMAGE_2_IMAGE_TO_IMAGE = ModelSpec(
    name="gpt-image-2-image-to-image",
    description=(
        "OpenAI GPT Image 2 image to image: edit or combine up to 16 input images at 1K, 2K or"
        " 4K."
    ),
    fields=(
        _prompt("Text prompts, up to 20,000 characters."),
        # Required, up to 16; at least one, as an edit without an image has nothing to edit.
        # The page names no types or size: those of the other GPT Image pages are taken.
        ImageUrlListField(
            "input_urls",
            required=True,
            min_items=1,
            max_items=16,
            description="Array of input image URLs.",
            examples=([_I2I_IMAGE],),
        ),
        _aspect_ratio(
            "The aspect ratio of the generated image is set to auto by default. Note: 5:4 and"
            " 4:5 aspect ratios only support 1K images."
        ),
        _resolution(),
    ),
    pricing=_PRICE,
    size_field="aspect_ratio",
    resolution_field="resolution",
    resolution_long_side=K_RESOLUTION_LONG_SIDE,
    rules=(
        NotTogether("aspect_ratio", frozenset({"5:4", "4:5"}), "resolution", _HIGH),
        *_RESOLUTION_RULES,
    ),
    # The page's request example (its input).
    example={
        "prompt": "take a photo with Sam Altman in the conference room",
        "input_urls": [_I2I_IMAGE],
        "aspect_ratio": "auto",
    },
)
