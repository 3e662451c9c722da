"""Flux-2 (Black Forest Labs) Pro and Flex, each as text to image and image to image.

Sources (the OpenAPI bodies of the pages): https://docs.kie.ai/market/flux2/pro-text-to-image,
https://docs.kie.ai/market/flux2/pro-image-to-image,
https://docs.kie.ai/market/flux2/flex-text-to-image and
https://docs.kie.ai/market/flux2/flex-image-to-image. The model ids are ``flux-2/...`` where
the pages' paths say ``flux2/``. Flux Kontext has its own endpoint (flux_kontext.py).
"""

from __future__ import annotations

from imagegate.catalog.fields import FieldSpec
from imagegate.catalog.market import (
    aspect_ratio_field,
    choice_field,
    image_urls_field,
    long_sides,
    market_prompt,
    nsfw_checker_field,
)
from imagegate.catalog.pricing import PerImageBy
from imagegate.catalog.spec import ModelSpec

_RATIOS = ("1:1", "4:3", "3:4", "16:9", "9:16", "3:2", "2:3")
# The page's own example prompt.
_PROMPT = (
    "Hyperrealistic supermarket blister pack on clean olive green surface. No shadows. Inside:"
    ' bright pink 3D letters spelling "FLUX.2" pressing against stretched plastic film,'
    " creating realistic deformation and reflective highlights. Bottom left corner: barcode"
    ' sticker with text "GENERATE NOW" and "PLAYGROUND". Plastic shows tension wrinkles and'
    " realistic shine where stretched by the volumetric letters."
)
_EXAMPLE_IMAGE = "https://static.aiquickdraw.com/tools/example/1764851484363_ScV1s2aq.webp"

# Kie's prices per image by resolution (the market page kie.ai/flux-2 and kie.ai/pricing; the
# docs pages give none): Pro 5 credits at 1K, 7 at 2K; Flex 14 and 24. The image-to-image
# models are priced as their text-to-image siblings.
_PRO_PRICE = PerImageBy("resolution", {"1K": 5000, "2K": 7000})
_FLEX_PRICE = PerImageBy("resolution", {"1K": 14000, "2K": 24000})


def _flux2(name: str, description: str, price: PerImageBy, *, edit: bool) -> ModelSpec:
    """One Flux-2 model. Image to image adds ``input_urls`` (1-8) and the ratio ``auto``
    (the first input image's ratio), which the text-to-image pages do not list."""
    images: tuple[FieldSpec, ...] = (
        (
            image_urls_field(
                "input_urls",
                8,
                description=(
                    "Input reference images, 1-8 (Accepted types: image/jpeg, image/png,"
                    " image/webp; Max size: 10MB each)"
                ),
            ),
        )
        if edit
        else ()
    )
    example: dict[str, object] = {"prompt": _PROMPT}
    if edit:
        example["input_urls"] = [_EXAMPLE_IMAGE]
    example.update({"aspect_ratio": "1:1", "resolution": "1K"})
    return ModelSpec(
        name=name,
        description=description,
        fields=(
            *images,
            market_prompt(5000, min_length=3, description="Must be between 3 and 5000 characters."),
            aspect_ratio_field(
                (*_RATIOS, "auto") if edit else _RATIOS,
                default="1:1",
                required=True,
                description=(
                    "Aspect ratio for the generated image; 'auto' matches the first input image."
                    if edit
                    else "Aspect ratio for the generated image."
                ),
            ),
            choice_field(
                "resolution",
                ("1K", "2K"),
                default="1K",
                required=True,
                description="Output image resolution.",
            ),
            nsfw_checker_field(),
        ),
        pricing=price,
        size_field="aspect_ratio",
        resolution_field="resolution",
        resolution_long_side=long_sides("1K", "2K"),
        # The page's request example (image to image: imagegate's, with a Kie example image).
        example=example,
    )


FLUX2_PRO_TEXT_TO_IMAGE = _flux2(
    "flux-2/pro-text-to-image",
    "Flux-2 Pro text to image: photoreal detail and accurate text, 1K or 2K.",
    _PRO_PRICE,
    edit=False,
)
FLUX2_PRO_IMAGE_TO_IMAGE = _flux2(
    "flux-2/pro-image-to-image",
    "Flux-2 Pro image to image: up to 8 reference images kept consistent.",
    _PRO_PRICE,
    edit=True,
)
FLUX2_FLEX_TEXT_TO_IMAGE = _flux2(
    "flux-2/flex-text-to-image",
    "Flux-2 Flex text to image, 1K or 2K.",
    _FLEX_PRICE,
    edit=False,
)
FLUX2_FLEX_IMAGE_TO_IMAGE = _flux2(
    "flux-2/flex-image-to-image",
    "Flux-2 Flex image to image: up to 8 reference images.",
    _FLEX_PRICE,
    edit=True,
)
