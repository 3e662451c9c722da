"""ideogram/v3-reframe: extend an image to a new size preset (specs 000 and 001)."""

from __future__ import annotations

from imagegate.catalog.common import image_size_field, num_images_field, seed_field
from imagegate.catalog.fields import ImageUrlField, StringField
from imagegate.catalog.pricing import PerImageBy
from imagegate.catalog.spec import ModelSpec

_EXAMPLE_IMAGE = (
    "https://file.aiquickdraw.com/custom-page/akr/section-images/1757168087001amxesd6e.webp"
)

IDEOGRAM_V3_REFRAME = ModelSpec(
    name="ideogram/v3-reframe",
    description="Reframe an image to a new resolution with Ideogram V3.",
    fields=(
        ImageUrlField(
            "image_url",
            required=True,
            description=(
                "The image URL to reframe (Accepted types: image/jpeg, image/png, image/webp;"
                " Max size: 10.0MB)"
            ),
            examples=(_EXAMPLE_IMAGE,),
        ),
        # Spec 001 marks it required and spec 000 gives a default; DESIGN.md: required. The
        # default stays documented (json_schema) but is never applied.
        image_size_field(
            required=True,
            default="square_hd",
            description="The resolution for the reframed output image",
        ),
        StringField(
            "rendering_speed",
            enum=("TURBO", "BALANCED", "QUALITY"),
            default="BALANCED",
            description="The rendering speed to use",
        ),
        StringField(
            "style",
            enum=("AUTO", "GENERAL", "REALISTIC", "DESIGN"),
            default="AUTO",
            description="The style type to generate with. Cannot be used with style_codes",
        ),
        num_images_field(default="1"),
        seed_field(default=0),
    ),
    # imagegate's default prices, in credits per image by speed: 3.5 / 7 / 10. Kie's published
    # market prices for Ideogram V3 are of that shape; operators set their own.
    pricing=PerImageBy("rendering_speed", {"TURBO": 3500, "BALANCED": 7000, "QUALITY": 10000}),
    example={
        "image_url": _EXAMPLE_IMAGE,
        "image_size": "square_hd",
        "rendering_speed": "BALANCED",
        "style": "AUTO",
        "num_images": "1",
        "seed": 42,
    },
)
