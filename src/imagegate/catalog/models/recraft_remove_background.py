"""recraft/remove-background: Recraft's background removal, a transparent PNG of the subject.

Source: https://docs.kie.ai/market/recraft/remove-background (Kie's market page; created
through POST /api/v1/jobs/createTask). One field: ``image`` (required; PNG, JPG or WebP, at
most 5 MB, 16 megapixels, 4096 px on a side and at least 256 px). The output keeps the
source's size (no size or scale field), which is what the mock engine makes.
"""

from __future__ import annotations

from imagegate.catalog.fields import ImageUrlField
from imagegate.catalog.pricing import PerImage
from imagegate.catalog.spec import ModelSpec

_MB = 1024 * 1024
_EXAMPLE_IMAGE = (
    "https://file.aiquickdraw.com/custom-page/akr/section-images/1757057285447k9qcbki1.webp"
)

RECRAFT_REMOVE_BACKGROUND = ModelSpec(
    name="recraft/remove-background",
    description="Remove the background of an image with Recraft: a transparent PNG.",
    fields=(
        # The 5 MB is enforced wherever the image is read (max_bytes); the pixel and side
        # limits are the page's only: the worker holds images to the operator's pixel cap, and
        # Kie's upstream refuses a larger one.
        ImageUrlField(
            "image",
            required=True,
            max_bytes=5 * _MB,
            accepted_types=("image/png", "image/jpeg", "image/webp"),
            description=(
                "Image to remove background from. Supported formats: PNG, JPG, WEBP. Max 5MB,"
                " max 16MP, max dimension 4096px, min dimension 256px."
            ),
            examples=(_EXAMPLE_IMAGE,),
        ),
    ),
    # imagegate's default: 1 credit per image. Kie's page gives no price; Kie's clients
    # report 1 credit ($0.005).
    pricing=PerImage(1000),
    example={"image": _EXAMPLE_IMAGE},
)
