"""recraft/crisp-upscale: Recraft's crisp upscale, sharper and cleaner at a higher resolution.

Source: https://docs.kie.ai/market/recraft/crisp-upscale (Kie's market page; created through
POST /api/v1/jobs/createTask). One field: ``image`` (required; JPEG, PNG or WebP, at most
10 MB). Neither Kie's page nor Recraft's says by how much the image grows; imagegate reads it
as 2x (``fixed_scale``), which is what the mock and classic engines make.
"""

from __future__ import annotations

from imagegate.catalog.fields import ImageUrlField
from imagegate.catalog.pricing import PerImage
from imagegate.catalog.spec import ModelSpec

_EXAMPLE_IMAGE = (
    "https://file.aiquickdraw.com/custom-page/akr/section-images/1757169577325ijj8vwvt.jpg"
)

RECRAFT_CRISP_UPSCALE = ModelSpec(
    name="recraft/crisp-upscale",
    description="Upscale an image with Recraft's crisp upscale: sharper and cleaner.",
    fields=(
        ImageUrlField(
            "image",
            required=True,
            description=(
                "Image to upscale (File URL after upload, not file content; Accepted types:"
                " image/jpeg, image/png, image/webp; Max size: 10.0MB)"
            ),
            examples=(_EXAMPLE_IMAGE,),
        ),
    ),
    # imagegate's default: 0.5 credits per image. Kie's page gives no price; Kie's clients
    # report 0.5 credits ($0.0025).
    pricing=PerImage(500),
    fixed_scale=2.0,
    example={"image": _EXAMPLE_IMAGE},
)
