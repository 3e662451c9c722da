"""google/nano-banana-edit: edit up to 10 images from a prompt with Gemini 2.5 Flash Image
(provider-notes.md; spec 002 lists only the text-to-image model)."""

from __future__ import annotations

from imagegate.catalog.fields import ImageUrlListField
from imagegate.catalog.models.google_nano_banana import NANO_BANANA_PRICE, nano_banana_fields
from imagegate.catalog.spec import ModelSpec

_EXAMPLE_IMAGE = (
    "https://file.aiquickdraw.com/custom-page/akr/section-images/1757168087001amxesd6e.webp"
)

GOOGLE_NANO_BANANA_EDIT = ModelSpec(
    name="google/nano-banana-edit",
    description=(
        "Google Gemini 2.5 Flash Image (Nano Banana) edit: change or combine up to 10 input"
        " images following a text prompt."
    ),
    fields=(
        *nano_banana_fields()[:1],
        # provider-notes.md: required, up to 10 images (jpeg/png/webp, 10 MB each).
        ImageUrlListField(
            "image_urls",
            required=True,
            min_items=1,
            max_items=10,
            description=(
                "The URLs of the input images, up to 10 (Accepted types: image/jpeg, image/png,"
                " image/webp; Max size: 10.0MB each)"
            ),
            examples=([_EXAMPLE_IMAGE],),
        ),
        *nano_banana_fields()[1:],
    ),
    pricing=NANO_BANANA_PRICE,
    # No request example in the documents; this one is imagegate's.
    example={
        "prompt": "Turn the scene into a watercolour painting",
        "image_urls": [_EXAMPLE_IMAGE],
        "output_format": "png",
        "image_size": "auto",
    },
)
