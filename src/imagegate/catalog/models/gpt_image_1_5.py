"""gpt-image/1.5-text-to-image and gpt-image/1.5-image-to-image: OpenAI's GPT Image 1.5 on
Kie's jobs API (not the gpt4o-image endpoint).

Sources: https://docs.kie.ai/market/gpt-image/1-5-text-to-image and
https://docs.kie.ai/market/gpt-image/1-5-image-to-image. Neither page states a price; the
prices here are imagegate's defaults.
"""

from __future__ import annotations

from imagegate.catalog.common import prompt_field
from imagegate.catalog.fields import ImageUrlListField, StringField
from imagegate.catalog.pricing import PerImageBy
from imagegate.catalog.spec import ModelSpec

_RATIOS = ("1:1", "2:3", "3:2")


def _aspect_ratio(default: str) -> StringField:
    # Both pages mark it required and give a default: required, as there; the default stays
    # documented (json_schema) but is never applied.
    return StringField(
        "aspect_ratio",
        enum=_RATIOS,
        required=True,
        default=default,
        description="Width-height ratio of the image, determining its visual form.",
    )


def _quality() -> StringField:
    return StringField(
        "quality",
        enum=("medium", "high"),
        required=True,
        default="medium",
        description="Quality: medium=balanced, high=slow/detailed.",
    )


def _prompt() -> StringField:
    # Neither page gives a length limit.
    return prompt_field(
        max_length=None, description="A text description of the image you want to generate"
    )


# imagegate's default prices per image by quality (4 credits medium, 22 high: a detailed
# image takes several times the work); Kie's pages give no price.
_PRICE = PerImageBy("quality", {"medium": 4000, "high": 22000})

_T2I_PROMPT = (
    "Create a photorealistic candid photograph of an elderly sailor standing on a small"
    " fishing boat.  He has weathered skin with visible wrinkles, pores, and sun texture, and a"
    " few faded traditional sailor tattoos on his arms. He is calmly adjusting a net while his"
    " dog sits nearby on the deck. Shot like a 35mm film photograph, medium close-up at eye"
    " level, using a 50mm lens. The image should feel honest and unposed, with real skin"
    " texture, worn materials, and everyday detail. No glamorization, no heavy retouching. "
)

GPT_IMAGE_1_5_TEXT_TO_IMAGE = ModelSpec(
    name="gpt-image/1.5-text-to-image",
    description=(
        "OpenAI GPT Image 1.5: text to image in three aspect ratios, medium or high quality."
    ),
    fields=(_prompt(), _aspect_ratio("1:1"), _quality()),
    pricing=_PRICE,
    size_field="aspect_ratio",
    # The page's request example (its input).
    example={"prompt": _T2I_PROMPT, "aspect_ratio": "1:1", "quality": "medium"},
)

_I2I_IMAGE = "https://static.aiquickdraw.com/tools/example/1765962794374_GhtqB9oX.webp"
_I2I_PROMPT = (
    "Edit the image to dress the woman using the provided clothing images. Preserve her exact"
    " likeness, expression, hairstyle, and proportions. Replace only the clothing, fitting the"
    " garments naturally to her existing pose and body geometry with realistic fabric"
    " behavior. Match lighting, shadows, and color temperature to the original photo so the"
    " outfit integrates photorealistically, without looking pasted on."
)

GPT_IMAGE_1_5_IMAGE_TO_IMAGE = ModelSpec(
    name="gpt-image/1.5-image-to-image",
    description=(
        "OpenAI GPT Image 1.5 image to image: edit or combine up to 16 input images following"
        " a text prompt."
    ),
    fields=(
        # Required, up to 16 (the schema's maxItems and the page's "Maximum 16 input URLs per
        # request"); at least one, as an edit without an image has nothing to edit.
        ImageUrlListField(
            "input_urls",
            required=True,
            min_items=1,
            max_items=16,
            description=(
                "Upload an image file to use as input for the API (Accepted types: image/jpeg,"
                " image/png, image/webp; Max size: 10.0MB)"
            ),
            examples=([_I2I_IMAGE],),
        ),
        _prompt(),
        _aspect_ratio("3:2"),
        _quality(),
    ),
    pricing=_PRICE,
    size_field="aspect_ratio",
    # The page's request example (its input).
    example={
        "input_urls": [_I2I_IMAGE],
        "prompt": _I2I_PROMPT,
        "aspect_ratio": "3:2",
        "quality": "medium",
    },
)
