"""ideogram/character: consistent characters across images with Ideogram (spec 002 and
provider-notes.md)."""

from __future__ import annotations

from imagegate.catalog.common import (
    image_size_field,
    num_images_field,
    prompt_field,
    rendering_speed_field,
    seed_field,
)
from imagegate.catalog.fields import BooleanField, ImageUrlListField, StringField
from imagegate.catalog.pricing import PerImageBy
from imagegate.catalog.spec import ModelSpec

_EXAMPLE_IMAGE = (
    "https://file.aiquickdraw.com/custom-page/akr/section-images/1755603225969i6j87xnw.jpg"
)

IDEOGRAM_CHARACTER = ModelSpec(
    name="ideogram/character",
    description=(
        "Ideogram Character: consistent character generation across multiple images from"
        " reference images."
    ),
    fields=(
        # No length limit in either document for this model's prompts.
        prompt_field(max_length=None),
        # Spec 002: optional, its example sends two URLs; the notes: required, one image. The
        # spec wins. imagegate caps the list at 10 (the catalog's largest, nano-banana-edit)
        # so that one request cannot make the worker fetch without bound.
        ImageUrlListField(
            "reference_image_urls",
            max_items=10,
            description=(
                "Reference images for character consistency (Accepted types: image/jpeg,"
                " image/png, image/webp; Max size: 10.0MB)"
            ),
        ),
        rendering_speed_field(),
        StringField(
            "style",
            enum=("AUTO", "REALISTIC", "FICTION"),
            default="AUTO",
            description="The style type to generate with.",
        ),
        # Spec 002 gives no default; the notes' true is taken (documents silent).
        BooleanField(
            "expand_prompt", default=True, description="Enhance the prompt with MagicPrompt."
        ),
        # Spec 002: "string (aspect ratio)"; the notes: the presets, default square_hd.
        # Spec 002: "string (aspect ratio)"; the notes: the six presets. Both are taken.
        image_size_field(
            default="square_hd", description="The size of the generated image.", ratios=True
        ),
        num_images_field(default="1"),
        seed_field(),
        StringField("negative_prompt", description="What to leave out of the image."),
    ),
    # imagegate's default prices, in credits per image by speed: 12 / 18 / 24 (a character
    # costs more than a plain V3 image at Kie too); operators set their own.
    pricing=PerImageBy("rendering_speed", {"TURBO": 12000, "BALANCED": 18000, "QUALITY": 24000}),
    # No request example in spec 002; this one is imagegate's.
    example={
        "prompt": "The same woman reading in a cosy cafe, warm light",
        "reference_image_urls": [_EXAMPLE_IMAGE],
        "rendering_speed": "BALANCED",
        "style": "AUTO",
        "expand_prompt": True,
        "image_size": "square_hd",
        "num_images": "1",
        "seed": 42,
    },
)
