"""google/nano-banana: text to image with Gemini 2.5 Flash Image (spec 002, v1 jobs API)."""

from __future__ import annotations

from imagegate.catalog.common import prompt_field
from imagegate.catalog.fields import StringField
from imagegate.catalog.pricing import PerImage
from imagegate.catalog.spec import ModelSpec

# Spec 002 and provider-notes.md agree on these values and the defaults.
NANO_BANANA_SIZES = (
    "1:1", "9:16", "16:9", "3:4", "4:3", "3:2", "2:3", "5:4", "4:5", "21:9", "auto",
)  # fmt: skip


def nano_banana_fields() -> tuple[StringField, ...]:
    """prompt, output_format and image_size: shared word for word with nano-banana-edit."""
    return (
        # The 5000-character limit is provider-notes.md's; spec 002 gives none.
        prompt_field(),
        StringField(
            "output_format",
            enum=("png", "jpeg"),
            default="png",
            description="Output format for the images.",
        ),
        # An aspect ratio; "auto" lets the engine decide (the mock engine: the first input
        # image's size, else 1024x1024). Ratios are 1024 pixels on the long side.
        StringField(
            "image_size",
            enum=NANO_BANANA_SIZES,
            default="1:1",
            description="Aspect ratio of the generated image.",
        ),
    )


# imagegate's default price: 4 credits per image, of the shape of Kie's market price for
# Nano Banana; operators set their own.
NANO_BANANA_PRICE = PerImage(4000)

GOOGLE_NANO_BANANA = ModelSpec(
    name="google/nano-banana",
    description=(
        "Google Gemini 2.5 Flash Image (Nano Banana): fast text-to-image generation with"
        " various aspect ratios."
    ),
    fields=nano_banana_fields(),
    pricing=NANO_BANANA_PRICE,
    # Spec 002 prints no request example for this model; this one is imagegate's.
    example={
        "prompt": "A banana-shaped spaceship over a neon city at dusk, cinematic lighting",
        "output_format": "png",
        "image_size": "16:9",
    },
)
