"""Fields several models share word for word: image_size presets, num_images, seed, prompt,
rendering_speed; and the pixels of Kie's 1K/2K/4K resolutions."""

from __future__ import annotations

from imagegate.catalog.fields import NO_DEFAULT, NumberField, StringField
from imagegate.catalog.presets import ASPECT_RATIOS, IMAGE_SIZE_NAMES
from imagegate.catalog.seeds import SEED_MAX, SEED_MIN

NUM_IMAGES_CHOICES = ("1", "2", "3", "4")


def image_size_field(
    *,
    default: object = NO_DEFAULT,
    required: bool = False,
    description: str = "",
    ratios: bool = False,
) -> StringField:
    """``image_size``: one of the six named presets, or (``ratios``: spec 002's "string
    (aspect ratio)") an aspect ratio such as "16:9" as well."""
    return StringField(
        "image_size",
        enum=IMAGE_SIZE_NAMES + (ASPECT_RATIOS if ratios else ()),
        default=default,
        required=required,
        description=description,
    )


def num_images_field(*, default: object = NO_DEFAULT, description: str = "") -> StringField:
    """``num_images``: "1"-"4", documented as a string, also accepted as an integer."""
    return StringField(
        "num_images",
        enum=NUM_IMAGES_CHOICES,
        accept_integers=True,
        default=default,
        description=description or "Number of images to generate.",
    )


def seed_field(*, default: object = NO_DEFAULT, description: str = "") -> NumberField:
    """``seed``: an integer in the one range every surface takes (catalog/seeds.py: 0 to
    2147483647); every model's seed is this field."""
    return NumberField(
        "seed",
        integer=True,
        minimum=SEED_MIN,
        maximum=SEED_MAX,
        default=default,
        description=description or "Seed for the random number generator.",
    )


def prompt_field(
    *,
    max_length: int | None = 5000,
    description: str = "",
    name: str = "prompt",
    min_length: int | None = None,
) -> StringField:
    """``prompt``: required (present; "" passes as in spec 004 unless ``min_length`` says
    otherwise), at most ``max_length``."""
    return StringField(
        name,
        required=True,
        max_length=max_length,
        min_length=min_length,
        description=description or "The text prompt describing the image to generate.",
    )


RENDERING_SPEEDS = ("TURBO", "BALANCED", "QUALITY")


def rendering_speed_field() -> StringField:
    """Ideogram's ``rendering_speed``: TURBO | BALANCED | QUALITY, default BALANCED."""
    return StringField(
        "rendering_speed",
        enum=RENDERING_SPEEDS,
        default="BALANCED",
        description="The rendering speed to use.",
    )


# Kie's "1K" / "2K" / "4K" resolution choice as pixels on the long side (a ModelSpec's
# resolution_long_side); the aspect ratio field gives the shape.
K_RESOLUTION_LONG_SIDE = {"1K": 1024, "2K": 2048, "4K": 4096}
