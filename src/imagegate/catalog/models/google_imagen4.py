"""google/imagen4: Imagen 4 Standard (spec 002); ``imagen4_spec`` also builds Ultra and Fast,
which take the same input."""

from __future__ import annotations

from imagegate.catalog.common import num_images_field, prompt_field, seed_field
from imagegate.catalog.fields import StringField
from imagegate.catalog.pricing import PerImage
from imagegate.catalog.spec import ModelSpec


def imagen4_spec(name: str, description: str, credits_milli: int) -> ModelSpec:
    """One Imagen 4 variant: the three share their fields (spec 002 lists them once)."""
    return ModelSpec(
        name=name,
        description=description,
        fields=(
            # The 5000-character limits are provider-notes.md's; spec 002 gives none.
            prompt_field(),
            StringField(
                "negative_prompt",
                max_length=5000,
                description="What to leave out of the image.",
            ),
            StringField(
                "aspect_ratio",
                enum=("1:1", "16:9", "9:16", "3:4", "4:3"),
                default="1:1",
                description="Aspect ratio of the generated image.",
            ),
            # Spec 002: "1-4 (default: 1)"; taken as the catalog's "1"-"4" (integers too).
            num_images_field(default="1"),
            seed_field(),
        ),
        # imagegate's default price per image; operators set their own.
        pricing=PerImage(credits_milli),
        size_field="aspect_ratio",
        # No request example in spec 002; this one is imagegate's.
        example={
            "prompt": "A lighthouse on a cliff at sunset, dramatic clouds, photorealistic",
            "aspect_ratio": "16:9",
            "num_images": "1",
            "seed": 42,
        },
    )


GOOGLE_IMAGEN4 = imagen4_spec(
    "google/imagen4",
    "Google Imagen 4 (Standard): balanced quality and speed.",
    8000,  # 8 credits per image
)
