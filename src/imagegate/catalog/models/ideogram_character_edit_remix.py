"""ideogram/character-edit and ideogram/character-remix: Ideogram Character's inpainting and
remix, keeping a reference character's look, on Kie's jobs API.

Sources: https://docs.kie.ai/market/ideogram/character-edit and
https://docs.kie.ai/market/ideogram/character-remix. Neither page states a price; the prices
here are imagegate's defaults, those of ideogram/character. The character-edit page prints no
request example; its example here is imagegate's, made of Kie's sample images.
"""

from __future__ import annotations

from imagegate.catalog.common import (
    image_size_field,
    num_images_field,
    prompt_field,
    rendering_speed_field,
    seed_field,
)
from imagegate.catalog.fields import (
    BooleanField,
    FieldSpec,
    ImageUrlField,
    ImageUrlListField,
    NumberField,
    StringField,
)
from imagegate.catalog.pricing import PerImageBy
from imagegate.catalog.spec import ModelSpec

_TYPES_AND_SIZE = "(Accepted types: image/jpeg, image/png, image/webp; Max size: 10.0MB)"
# The pages give no maxItems for these lists ("currently only 1 image is supported, rest will
# be ignored"); imagegate caps them at 10, as ideogram/character's, so that one request cannot
# make the worker fetch without bound.
_LIST_CAP = 10


def _reference_image_urls() -> ImageUrlListField:
    return ImageUrlListField(
        "reference_image_urls",
        required=True,
        min_items=1,
        max_items=_LIST_CAP,
        description=(
            "A set of images to use as character references. Currently only 1 image is"
            " supported, rest will be ignored. (maximum total size 10MB across all character"
            f" references) {_TYPES_AND_SIZE}"
        ),
    )


def _character_options() -> tuple[FieldSpec, ...]:
    """rendering_speed, style and expand_prompt, as both pages (and ideogram/character) give
    them."""
    return (
        rendering_speed_field(),
        StringField(
            "style",
            enum=("AUTO", "REALISTIC", "FICTION"),
            default="AUTO",
            description="The style type to generate with. Cannot be used with style_codes.",
        ),
        # The schema gives no default; its description says "Default value: true".
        BooleanField(
            "expand_prompt",
            default=True,
            description="Determine if MagicPrompt should be used in generating the request.",
        ),
    )


def _character_price() -> PerImageBy:
    # ideogram/character's prices, in credits per image by speed: 12 / 18 / 24.
    return PerImageBy("rendering_speed", {"TURBO": 12000, "BALANCED": 18000, "QUALITY": 24000})


_IMAGE = "https://file.aiquickdraw.com/custom-page/akr/section-images/1755768466167d0tiuc6e.webp"
_REFERENCE = (
    "https://file.aiquickdraw.com/custom-page/akr/section-images/1755768479029sugx0g6f.webp"
)
_MASK = "https://file.aiquickdraw.com/custom-page/akr/section-images/1755076871089hx9uonhc.webp"

IDEOGRAM_CHARACTER_EDIT = ModelSpec(
    name="ideogram/character-edit",
    description=(
        "Ideogram Character edit: fill the masked part of an image with a reference character;"
        " the output has the input image's size."
    ),
    fields=(
        prompt_field(description="The prompt to fill the masked part of the image."),
        ImageUrlField(
            "image_url",
            required=True,
            description=(
                "The image URL to generate an image from. Needs to match the dimensions of the"
                f" mask. {_TYPES_AND_SIZE}"
            ),
        ),
        ImageUrlField(
            "mask_url",
            required=True,
            description=(
                "The mask URL to inpaint the image. Needs to match the dimensions of the input"
                f" image. {_TYPES_AND_SIZE}"
            ),
        ),
        _reference_image_urls(),
        *_character_options(),
        num_images_field(default="1"),
        seed_field(),
    ),
    pricing=_character_price(),
    example={
        "prompt": "The same person, now wearing a red scarf",
        "image_url": _IMAGE,
        "mask_url": _MASK,
        "reference_image_urls": [_REFERENCE],
        "rendering_speed": "BALANCED",
        "style": "AUTO",
        "expand_prompt": True,
        "num_images": "1",
    },
)

_REMIX_PROMPT = (
    "A fisheye lens selfie photograph taken at night on an urban street. The image is circular"
    " with a black border and shows a person wearing dark sunglasses and a black jacket,"
    " holding a silver digital camera up to capture the reflection. The background shows a row"
    " of shuttered storefronts with red neon lighting visible in the upper portion. The street"
    " is empty and dark, with street lights creating a warm glow along the sidewalk. The"
    " fisheye effect creates a curved, distorted perspective that bends the straight lines of"
    " the street and buildings. The lighting is predominantly red and dark, creating a moody"
    " urban atmosphere. The person's reflection shows long dark hair and is positioned in the"
    " center of the circular frame. Multiple storefront shutters are visible in the"
    " background, creating a repeating pattern of horizontal lines. The overall composition"
    " has a cinematic quality with strong contrast between the dark street and the illuminated"
    " storefronts above."
)

IDEOGRAM_CHARACTER_REMIX = ModelSpec(
    name="ideogram/character-remix",
    description=(
        "Ideogram Character remix: a new image from an input image and a prompt, keeping a"
        " reference character's look."
    ),
    fields=(
        prompt_field(description="The prompt to remix the image with."),
        ImageUrlField(
            "image_url",
            required=True,
            description=f"The image URL to remix {_TYPES_AND_SIZE}",
        ),
        _reference_image_urls(),
        *_character_options(),
        image_size_field(default="square_hd", description="The size of the generated image."),
        num_images_field(default="1"),
        seed_field(),
        NumberField(
            "strength",
            minimum=0.1,
            maximum=1,
            step=0.1,
            default=0.8,
            description="Strength of the input image in the remix.",
        ),
        StringField(
            "negative_prompt",
            max_length=500,
            description=(
                "Description of what to exclude from an image. Descriptions in the prompt take"
                ' precedence to descriptions in the negative prompt. Default value: ""'
            ),
        ),
        ImageUrlListField(
            "image_urls",
            max_items=_LIST_CAP,
            description=(
                "A set of images to use as style references (maximum total size 10MB across all"
                f" style references) {_TYPES_AND_SIZE}"
            ),
        ),
        # The page types it as one string (its example sends ""), not an array: a URL or "".
        # Forwarded as sent and not fetched here, as no local engine uses character masks.
        StringField(
            "reference_mask_urls",
            description=(
                "A set of masks to apply to the character references. Currently only 1 mask is"
                " supported, rest will be ignored. (maximum total size 10MB across all"
                f" character references) {_TYPES_AND_SIZE}"
            ),
        ),
    ),
    pricing=_character_price(),
    # The page's request example (its input).
    example={
        "prompt": _REMIX_PROMPT,
        "image_url": _IMAGE,
        "reference_image_urls": [_REFERENCE],
        "rendering_speed": "BALANCED",
        "style": "AUTO",
        "expand_prompt": True,
        "image_size": "square_hd",
        "num_images": "1",
        "strength": 0.8,
        "negative_prompt": "",
        "image_urls": [],
        "reference_mask_urls": "",
    },
)
