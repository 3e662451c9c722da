"""ideogram/v3-edit and ideogram/v3-remix: Ideogram V3 inpainting (fill a masked part of an
image) and remix (a new image from an image and a prompt) on Kie's jobs API.

Sources: https://docs.kie.ai/market/ideogram/v3-edit and
https://docs.kie.ai/market/ideogram/v3-remix. Neither page states a price; the prices here are
imagegate's defaults, those of the other Ideogram V3 models.
"""

from __future__ import annotations

from imagegate.catalog.common import (
    RENDERING_SPEEDS,
    image_size_field,
    num_images_field,
    prompt_field,
    rendering_speed_field,
    seed_field,
)
from imagegate.catalog.fields import BooleanField, ImageUrlField, NumberField, StringField
from imagegate.catalog.pricing import PerImageBy
from imagegate.catalog.spec import ModelSpec

_TYPES_AND_SIZE = "(Accepted types: image/jpeg, image/png, image/webp; Max size: 10.0MB)"


def v3_price() -> PerImageBy:
    """imagegate's default prices of Ideogram V3, in credits per image by speed: 3.5 / 7 / 10
    (ideogram/v3-text-to-image's); a request without a speed is priced as Ideogram's
    BALANCED."""
    return PerImageBy(
        "rendering_speed", {"TURBO": 3500, "BALANCED": 7000, "QUALITY": 10000}, absent="BALANCED"
    )


_EDIT_IMAGE = (
    "https://file.aiquickdraw.com/custom-page/akr/section-images/1755076859801ryyol1du.webp"
)
_EDIT_MASK = (
    "https://file.aiquickdraw.com/custom-page/akr/section-images/1755076871089hx9uonhc.webp"
)

IDEOGRAM_V3_EDIT = ModelSpec(
    name="ideogram/v3-edit",
    description=(
        "Ideogram V3 edit: fill the masked part of an image following a prompt; the output has"
        " the input image's size."
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
            examples=(_EDIT_IMAGE,),
        ),
        ImageUrlField(
            "mask_url",
            required=True,
            description=(
                "The mask URL to inpaint the image. Needs to match the dimensions of the input"
                f" image. {_TYPES_AND_SIZE}"
            ),
            examples=(_EDIT_MASK,),
        ),
        rendering_speed_field(),
        BooleanField(
            "expand_prompt",
            default=True,
            description="Determine if MagicPrompt should be used in generating the request.",
        ),
        seed_field(),
    ),
    pricing=v3_price(),
    # The page's request example (its input).
    example={
        "prompt": "A dog wearing a cowboy hat",
        "image_url": _EDIT_IMAGE,
        "mask_url": _EDIT_MASK,
        "rendering_speed": "BALANCED",
        "expand_prompt": True,
        "seed": 123456,
    },
)

_REMIX_IMAGE = (
    "https://file.aiquickdraw.com/custom-page/akr/section-images/17550782013854ykfihxv.webp"
)

# The remix page gives no defaults at all: every optional field stays absent when not sent
# (no image_size: the output keeps the input's size; no num_images: one image).
IDEOGRAM_V3_REMIX = ModelSpec(
    name="ideogram/v3-remix",
    description="Ideogram V3 remix: a new image from an input image and a prompt.",
    fields=(
        prompt_field(description="The prompt to remix the image with."),
        ImageUrlField(
            "image_url",
            required=True,
            description=f"The image URL to remix. {_TYPES_AND_SIZE}",
            examples=(_REMIX_IMAGE,),
        ),
        StringField(
            "rendering_speed", enum=RENDERING_SPEEDS, description="The rendering speed to use."
        ),
        StringField(
            "style",
            enum=("AUTO", "GENERAL", "REALISTIC", "DESIGN"),
            description=(
                "The style type to generate with. Cannot be used together with `style_codes`."
            ),
        ),
        BooleanField(
            "expand_prompt",
            description="Determine if MagicPrompt should be used in generating the request.",
        ),
        image_size_field(description="The resolution of the generated image."),
        num_images_field(),
        seed_field(),
        NumberField(
            "strength",
            minimum=0.01,
            maximum=1,
            step=0.01,
            description="Strength of the input image in the remix.",
        ),
        StringField(
            "negative_prompt",
            max_length=5000,
            description=(
                "Description of what to exclude from the generated image. If the positive"
                " prompt conflicts with the negative prompt, the positive prompt takes"
                " precedence."
            ),
        ),
    ),
    pricing=v3_price(),
    # The page's request example (its input).
    example={
        "prompt": "Change the cube into a sphere",
        "image_url": _REMIX_IMAGE,
        "rendering_speed": "BALANCED",
        "style": "AUTO",
        "expand_prompt": True,
        "image_size": "square_hd",
        "num_images": "1",
        "seed": 123456,
        "strength": 0.8,
        "negative_prompt": "blurry, low quality, distorted, watermark",
    },
)
