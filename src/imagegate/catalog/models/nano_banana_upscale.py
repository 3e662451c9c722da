"""nano-banana-upscale: Google Nano Banana's upscaler, 1x-4x with optional face enhancement.

Source: https://docs.kie.ai/market/google/nano-banana-upscale (Kie's market page; created
through POST /api/v1/jobs/createTask). Fields, limits and the example image as that page
gives them: ``image`` (required; JPEG, PNG or WebP, at most 10 MB), ``scale`` (1-4, step 1,
default 2) and ``face_enhance`` (GFPGAN face enhancement, default false).
"""

from __future__ import annotations

from imagegate.catalog.fields import BooleanField, ImageUrlField, NumberField
from imagegate.catalog.pricing import PerImage
from imagegate.catalog.spec import ModelSpec

_EXAMPLE_IMAGE = (
    "https://file.aiquickdraw.com/custom-page/akr/section-images/17574044692533swb9nb5.jpeg"
)

NANO_BANANA_UPSCALE = ModelSpec(
    name="nano-banana-upscale",
    description="Upscale an image 1x-4x with Nano Banana Upscale, optionally enhancing faces.",
    fields=(
        ImageUrlField(
            "image",
            required=True,
            description=(
                "Input image (File URL after upload, not file content; Accepted types:"
                " image/jpeg, image/png, image/webp; Max size: 10.0MB)"
            ),
            examples=(_EXAMPLE_IMAGE,),
        ),
        NumberField(
            "scale",
            minimum=1,
            maximum=4,
            step=1,
            default=2,
            description="Factor to scale image by (1-4, step 1)",
        ),
        BooleanField(
            "face_enhance",
            default=False,
            description="Run GFPGAN face enhancement along with upscaling",
        ),
    ),
    # imagegate's default: 1 credit per image. Kie's page gives no price; a Kie client's
    # price table lists $0.005 an image, which is 1 credit at Kie's $0.005 a credit.
    pricing=PerImage(1000),
    scale_field="scale",
    example={"image": _EXAMPLE_IMAGE, "scale": 2, "face_enhance": False},
)
