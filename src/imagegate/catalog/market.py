"""Fields that Kie's market pages (https://docs.kie.ai/market/...) write the same way across
families, and the pixels their resolution names stand for.

The newer pages share a vocabulary: ``aspect_ratio`` as "W:H", a ``resolution`` (or Seedream's
``quality``) tier, Kie's own ``nsfw_checker`` switch, and image URLs that Kie fetches. The
helpers here build those fields; each model module passes its own page's enums and limits.
"""

from __future__ import annotations

from typing import Final

from imagegate.catalog.fields import NO_DEFAULT, BooleanField, ImageUrlListField, StringField

# The long side of a "1K"-style resolution name, in pixels (imagegate's reading: Kie names the
# tiers without pixels; ByteDance's and Alibaba's own documents use these powers of two).
RESOLUTION_LONG_SIDE: Final[dict[str, int]] = {
    "1K": 1024,
    "1.5K": 1536,
    "2K": 2048,
    "3K": 3072,
    "4K": 4096,
}

# The eight ratios of the Seedream 4.5 / 5.x pages, in their order.
SEEDREAM_RATIOS: Final = ("1:1", "4:3", "3:4", "16:9", "9:16", "2:3", "3:2", "21:9")

# The image types most market pages accept ("Accepted types: image/jpeg, image/png, image/webp").
JPEG_PNG_WEBP: Final = ("image/jpeg", "image/png", "image/webp")
_MB = 1024 * 1024


def long_sides(*names: str) -> dict[str, int]:
    """``RESOLUTION_LONG_SIDE`` restricted to ``names`` (a page's own resolution enum)."""
    return {name: RESOLUTION_LONG_SIDE[name] for name in names}


def market_prompt(
    max_length: int, *, min_length: int | None = None, required: bool = True, description: str = ""
) -> StringField:
    """``prompt`` as the market pages write it: a length range, usually required."""
    return StringField(
        "prompt",
        required=required,
        max_length=max_length,
        min_length=min_length,
        description=description or "A text description of the image you want to generate.",
    )


def aspect_ratio_field(
    ratios: tuple[str, ...],
    *,
    default: object = NO_DEFAULT,
    required: bool = False,
    name: str = "aspect_ratio",
    description: str = "",
) -> StringField:
    """A "W:H" ratio chosen from the page's list (``auto`` where the page lists it)."""
    return StringField(
        name,
        enum=ratios,
        default=default,
        required=required,
        description=description or "Width-height ratio of the generated image.",
    )


def choice_field(
    name: str,
    choices: tuple[str, ...],
    *,
    default: object = NO_DEFAULT,
    required: bool = False,
    description: str,
) -> StringField:
    """Any other enum of a page (``resolution``, ``quality``, ``output_format``...)."""
    return StringField(
        name, enum=choices, default=default, required=required, description=description
    )


def nsfw_checker_field() -> BooleanField:
    """Kie's own content filter. The pages say it defaults to false but give the schema no
    default: absent stays absent, and Kie applies its own."""
    return BooleanField(
        "nsfw_checker",
        description=(
            "Kie's content filter: true turns it on; false (Kie's default) returns the model's"
            " results unfiltered."
        ),
    )


def image_urls_field(
    name: str,
    max_items: int,
    *,
    min_items: int = 1,
    required: bool = True,
    accepted_types: tuple[str, ...] = JPEG_PNG_WEBP,
    max_megabytes: int = 10,
    description: str = "",
) -> ImageUrlListField:
    """An array of input image URLs, ``min_items`` to ``max_items`` of them."""
    return ImageUrlListField(
        name,
        required=required,
        min_items=min_items,
        max_items=max_items,
        accepted_types=accepted_types,
        max_bytes=max_megabytes * _MB,
        description=description
        or (
            f"URLs of the input images, up to {max_items} (Accepted types:"
            f" {', '.join(accepted_types)}; Max size: {max_megabytes}MB each)"
        ),
    )
