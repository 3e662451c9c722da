"""topaz/image-upscale: Topaz's AI upscaler, 1x, 2x, 4x or 8x.

Source: https://docs.kie.ai/market/topaz/image-upscale (Kie's market page; created through
POST /api/v1/jobs/createTask). Both fields are required there: ``image_url`` (JPEG, PNG or
WebP, at most 10 MB) and ``upscale_factor`` ("1", "2", "4" or "8" as a string, documented
default "2"). The page limits the output: the source's longest side times the factor may not
pass 20,000 pixels.
"""

from __future__ import annotations

from imagegate.catalog.fields import ImageUrlField, StringField
from imagegate.catalog.pricing import PerImageBy
from imagegate.catalog.spec import ModelSpec

_EXAMPLE_IMAGE = "https://static.aiquickdraw.com/tools/example/1762752805607_mErUj1KR.png"

TOPAZ_IMAGE_UPSCALE = ModelSpec(
    name="topaz/image-upscale",
    description="Enhance image resolution and quality with Topaz's AI upscaling.",
    fields=(
        ImageUrlField(
            "image_url",
            required=True,
            description=(
                "URL of the image to be upscaled. The longest side of the image times"
                " upscale_factor cannot exceed 20,000 pixels (Accepted types: image/jpeg,"
                " image/png, image/webp; Max size: 10.0MB)"
            ),
            examples=(_EXAMPLE_IMAGE,),
        ),
        # Required on the page, with a default it documents; the default is shown in the JSON
        # Schema and never applied (as ideogram/v3-reframe's image_size).
        StringField(
            "upscale_factor",
            required=True,
            enum=("1", "2", "4", "8"),
            default="2",
            description="Factor to upscale the image by (e.g. 2 doubles width and height)",
        ),
    ),
    # imagegate's default, in credits per image: 10 at 1x and 2x, 20 at 4x, 40 at 8x. Kie's
    # page gives no price; Kie's clients report 10 credits up to a 2K output, 20 at 4K and 40 at
    # 8K, read here by factor because the source's size is unknown when a task is priced.
    pricing=PerImageBy("upscale_factor", {"1": 10000, "2": 10000, "4": 20000, "8": 40000}),
    scale_field="upscale_factor",
    max_output_side=20000,
    example={"image_url": _EXAMPLE_IMAGE, "upscale_factor": "2"},
)
