"""ideogram/v3-text-to-image: Ideogram V3 text to image (spec 002 and provider-notes.md)."""

from __future__ import annotations

from imagegate.catalog.common import (
    image_size_field,
    num_images_field,
    prompt_field,
    rendering_speed_field,
    seed_field,
)
from imagegate.catalog.fields import BooleanField, StringField
from imagegate.catalog.pricing import PerImageBy
from imagegate.catalog.spec import ModelSpec

IDEOGRAM_V3_TEXT_TO_IMAGE = ModelSpec(
    name="ideogram/v3-text-to-image",
    description=(
        "Ideogram V3 text-to-image: text rendering in images, design work, versatile styles."
    ),
    fields=(
        # The 5000-character limits are provider-notes.md's; spec 002 gives none.
        prompt_field(),
        rendering_speed_field(),
        StringField(
            "style",
            enum=("AUTO", "GENERAL", "REALISTIC", "DESIGN"),
            default="AUTO",
            description="The style type to generate with.",
        ),
        # Neither document gives a default for expand_prompt or image_size here: absent stays
        # absent (the mock engine then makes 1024x1024, square_hd's pixels).
        BooleanField("expand_prompt", description="Enhance the prompt with MagicPrompt."),
        # Spec 002: "string (aspect ratio)"; the notes: the six presets. Both are taken.
        image_size_field(description="The size of the generated image.", ratios=True),
        num_images_field(default="1"),
        seed_field(),
        StringField(
            "negative_prompt",
            max_length=5000,
            description="What to leave out of the image.",
        ),
    ),
    # imagegate's default prices, in credits per image by speed: 3.5 / 7 / 10, as
    # ideogram/v3-reframe; operators set their own.
    pricing=PerImageBy("rendering_speed", {"TURBO": 3500, "BALANCED": 7000, "QUALITY": 10000}),
    # Spec 002's "With Parameters" example (the body of its per-model endpoint is this input).
    example={
        "prompt": "modern logo design",
        "rendering_speed": "QUALITY",
        "style": "DESIGN",
        "num_images": 2,
    },
)
